;; Gradient kernel for linear, logistic and softmax GLMs in WebAssembly SIMD128.
;; Assembled with wabt (scripts/build-wasm.mjs) into gradient-simd.wasm; driven by
;; wasm-simd-kernel.ts, which owns the memory layout and the threads.
;;
;; `chunk` computes the loss and gradient sums of one fixed chunk of rows, in blocks of 32 rows:
;;   1. z = b + X_block · Wᵀ   per row: f32 products summed in four f32 lanes, the lanes and the
;;      bias added in f64;
;;   2. residuals and loss per row in f64 (exp/log1p/log are the polynomials below, so the bits
;;      do not depend on the host's libm); r is then rounded to f32;
;;   3. G += R_blockᵀ · X_block  each product r·x rounded to f32, all sums in f64.
;; Every per-row quantity (z, r, r·x) has the same bits however rows are grouped, and every sum
;; over rows is f64, so splitting the rows differently (workers, chunks) changes the result only
;; at float64 rounding, as with the float64 typed-array kernel.
;; The block is 32 rows × d floats, so step 3 reads X from L1 right after step 1 (one pass over
;; memory). Only plain mul + add: no FMA, no relaxed SIMD, so x86 and arm64 give the same bits.
;; Rows are always processed in groups of four; a short last group is padded with copies of its
;; last row whose residual is 0, which adds exact zeros.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; exp(x) for x <= 0 (0 below -708): Cody-Waite reduction by ln 2, Taylor degree 12 on |r| <= ln2/2.
  (func $expneg (export "expneg") (param $x f64) (result f64)
    (local $n f64) (local $r f64) (local $p f64) (local $p2 f64) (local $p4 f64) (local $p8 f64)
    (if (f64.lt (local.get $x) (f64.const -708)) (then (return (f64.const 0))))
    (local.set $n (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))
    (local.set $r
      (f64.sub
        (f64.sub (local.get $x) (f64.mul (local.get $n) (f64.const 6.93147180369123816490e-01)))
        (f64.mul (local.get $n) (f64.const 1.90821492927058770002e-10))))
    ;; Σ r^i/i!, i = 0..12, by Estrin's scheme (a short dependency chain)
    (local.set $p2 (f64.mul (local.get $r) (local.get $r)))
    (local.set $p4 (f64.mul (local.get $p2) (local.get $p2)))
    (local.set $p8 (f64.mul (local.get $p4) (local.get $p4)))
    (local.set $p (f64.add (f64.add (f64.add (f64.add (f64.const 1.0) (f64.mul (f64.const 1.0) (local.get $r))) (f64.mul (f64.add (f64.const 0.5) (f64.mul (f64.const 0.16666666666666666) (local.get $r))) (local.get $p2))) (f64.mul (f64.add (f64.add (f64.const 0.041666666666666664) (f64.mul (f64.const 0.008333333333333333) (local.get $r))) (f64.mul (f64.add (f64.const 0.001388888888888889) (f64.mul (f64.const 0.0001984126984126984) (local.get $r))) (local.get $p2))) (local.get $p4))) (f64.mul (f64.add (f64.add (f64.add (f64.const 2.48015873015873e-05) (f64.mul (f64.const 2.7557319223985893e-06) (local.get $r))) (f64.mul (f64.add (f64.const 2.755731922398589e-07) (f64.mul (f64.const 2.505210838544172e-08) (local.get $r))) (local.get $p2))) (f64.mul (f64.const 2.08767569878681e-09) (local.get $p4))) (local.get $p8))))
    ;; × 2^n, n in [-1022, 0]: a normal number built from its exponent bits
    (f64.mul (local.get $p)
      (f64.reinterpret_i64
        (i64.shl (i64.add (i64.trunc_f64_s (local.get $n)) (i64.const 1023)) (i64.const 52)))))

  ;; 2·atanh(s) = log((1+s)/(1-s)) as s·Σ 2 s^(2i)/(2i+1), terms up to s^(2·16) (|s| <= 1/3).
  (func $atanh2 (param $s f64) (result f64)
    (local $t f64) (local $p f64) (local $p2 f64) (local $p4 f64) (local $p8 f64) (local $p16 f64)
    (local.set $t (f64.mul (local.get $s) (local.get $s)))
    ;; Σ 2 t^i/(2i+1), i = 0..16, t = s², by Estrin's scheme
    (local.set $p2 (f64.mul (local.get $t) (local.get $t)))
    (local.set $p4 (f64.mul (local.get $p2) (local.get $p2)))
    (local.set $p8 (f64.mul (local.get $p4) (local.get $p4)))
    (local.set $p16 (f64.mul (local.get $p8) (local.get $p8)))
    (local.set $p (f64.add (f64.add (f64.add (f64.add (f64.add (f64.const 2.0) (f64.mul (f64.const 0.6666666666666666) (local.get $t))) (f64.mul (f64.add (f64.const 0.4) (f64.mul (f64.const 0.2857142857142857) (local.get $t))) (local.get $p2))) (f64.mul (f64.add (f64.add (f64.const 0.2222222222222222) (f64.mul (f64.const 0.18181818181818182) (local.get $t))) (f64.mul (f64.add (f64.const 0.15384615384615385) (f64.mul (f64.const 0.13333333333333333) (local.get $t))) (local.get $p2))) (local.get $p4))) (f64.mul (f64.add (f64.add (f64.add (f64.const 0.11764705882352941) (f64.mul (f64.const 0.10526315789473684) (local.get $t))) (f64.mul (f64.add (f64.const 0.09523809523809523) (f64.mul (f64.const 0.08695652173913043) (local.get $t))) (local.get $p2))) (f64.mul (f64.add (f64.add (f64.const 0.08) (f64.mul (f64.const 0.07407407407407407) (local.get $t))) (f64.mul (f64.add (f64.const 0.06896551724137931) (f64.mul (f64.const 0.06451612903225806) (local.get $t))) (local.get $p2))) (local.get $p4))) (local.get $p8))) (f64.mul (f64.const 0.06060606060606061) (local.get $p16))))
    (f64.mul (local.get $s) (local.get $p)))

  ;; log1p(e) for e in [0, 1]: 2·atanh(e / (2 + e)).
  (func $log1p01 (export "log1p01") (param $e f64) (result f64)
    (call $atanh2 (f64.div (local.get $e) (f64.add (f64.const 2) (local.get $e)))))

  ;; log(x) for finite x >= 1: x = m·2^k with m in [√½, √2], log m = 2·atanh((m−1)/(m+1)).
  (func $logge1 (export "logge1") (param $x f64) (result f64)
    (local $bits i64) (local $k f64) (local $m f64)
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $k (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023))))
    (local.set $m (f64.reinterpret_i64
      (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 1.4142135623730951))
      (then
        (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
        (local.set $k (f64.add (local.get $k) (f64.const 1)))))
    (f64.add
      (f64.mul (local.get $k) (f64.const 6.93147180369123816490e-01))
      (f64.add
        (f64.mul (local.get $k) (f64.const 1.90821492927058770002e-10))
        (call $atanh2 (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1)))))))

  ;; Four dot products of rows p0..p3 with the f32 weight row w (d entries), written as
  ;; (bias + ((lane0 + lane1) + (lane2 + lane3))) + tail in f64 to zo, zo+zs, zo+2zs, zo+3zs.
  (func $dot4
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    (param $w i32) (param $d i32) (param $zo i32) (param $zs i32) (param $bias f64)
    (local $o i32) (local $end i32) (local $wv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $ws f32)
    (local.set $end (i32.shl (i32.and (local.get $d) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $wv (v128.load (i32.add (local.get $w) (local.get $o))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $wv) (v128.load (i32.add (local.get $p0) (local.get $o))))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $wv) (v128.load (i32.add (local.get $p1) (local.get $o))))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $wv) (v128.load (i32.add (local.get $p2) (local.get $o))))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $wv) (v128.load (i32.add (local.get $p3) (local.get $o))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $l)))
    ;; the d mod 4 trailing features, scalar
    (local.set $end (i32.shl (local.get $d) (i32.const 2)))
    (block $done2
      (loop $l2
        (br_if $done2 (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $ws (f32.load (i32.add (local.get $w) (local.get $o))))
        (local.set $s0 (f32.add (local.get $s0) (f32.mul (local.get $ws) (f32.load (i32.add (local.get $p0) (local.get $o))))))
        (local.set $s1 (f32.add (local.get $s1) (f32.mul (local.get $ws) (f32.load (i32.add (local.get $p1) (local.get $o))))))
        (local.set $s2 (f32.add (local.get $s2) (f32.mul (local.get $ws) (f32.load (i32.add (local.get $p2) (local.get $o))))))
        (local.set $s3 (f32.add (local.get $s3) (f32.mul (local.get $ws) (f32.load (i32.add (local.get $p3) (local.get $o))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l2)))
    (f64.store (local.get $zo) (f64.add (f64.add (local.get $bias) (f64.add (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a0))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a0)))) (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a0))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a0)))))) (f64.promote_f32 (local.get $s0))))
    (local.set $zo (i32.add (local.get $zo) (local.get $zs)))
    (f64.store (local.get $zo) (f64.add (f64.add (local.get $bias) (f64.add (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a1))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a1)))) (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a1))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a1)))))) (f64.promote_f32 (local.get $s1))))
    (local.set $zo (i32.add (local.get $zo) (local.get $zs)))
    (f64.store (local.get $zo) (f64.add (f64.add (local.get $bias) (f64.add (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a2))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a2)))) (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a2))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a2)))))) (f64.promote_f32 (local.get $s2))))
    (local.set $zo (i32.add (local.get $zo) (local.get $zs)))
    (f64.store (local.get $zo) (f64.add (f64.add (local.get $bias) (f64.add (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a3))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a3)))) (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a3))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a3)))))) (f64.promote_f32 (local.get $s3)))))

  ;; g[0..d) (f64) += (p0 + p1) + (p2 + p3), p_m = f64(r_m·x_m): each product rounded to f32 on
  ;; its own (the same bits however the rows are grouped), the sums in f64.
  (func $acc4
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    (param $r0 f32) (param $r1 f32) (param $r2 f32) (param $r3 f32) (param $g i32) (param $d i32)
    (local $o i32) (local $end i32) (local $g0 i32)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $v0 (f32x4.splat (local.get $r0)))
    (local.set $v1 (f32x4.splat (local.get $r1)))
    (local.set $v2 (f32x4.splat (local.get $r2)))
    (local.set $v3 (f32x4.splat (local.get $r3)))
    (local.set $end (i32.shl (i32.and (local.get $d) (i32.const -4)) (i32.const 2)))
    (local.set $g0 (local.get $g))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $m0 (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $p0) (local.get $o)))))
        (local.set $m1 (f32x4.mul (local.get $v1) (v128.load (i32.add (local.get $p1) (local.get $o)))))
        (local.set $m2 (f32x4.mul (local.get $v2) (v128.load (i32.add (local.get $p2) (local.get $o)))))
        (local.set $m3 (f32x4.mul (local.get $v3) (v128.load (i32.add (local.get $p3) (local.get $o)))))
        (v128.store (local.get $g0)
          (f64x2.add (v128.load (local.get $g0))
            (f64x2.add
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $m0)) (f64x2.promote_low_f32x4 (local.get $m1)))
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $m2)) (f64x2.promote_low_f32x4 (local.get $m3))))))
        (local.set $m0 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m0) (local.get $m0)))
        (local.set $m1 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m1) (local.get $m1)))
        (local.set $m2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m2) (local.get $m2)))
        (local.set $m3 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m3) (local.get $m3)))
        (v128.store offset=16 (local.get $g0)
          (f64x2.add (v128.load offset=16 (local.get $g0))
            (f64x2.add
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $m0)) (f64x2.promote_low_f32x4 (local.get $m1)))
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $m2)) (f64x2.promote_low_f32x4 (local.get $m3))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $g0 (i32.add (local.get $g0) (i32.const 32)))
        (br $l)))
    (local.set $end (i32.shl (local.get $d) (i32.const 2)))
    (block $done2
      (loop $l2
        (br_if $done2 (i32.ge_u (local.get $o) (local.get $end)))
        (f64.store (local.get $g0)
          (f64.add (f64.load (local.get $g0))
            (f64.add
              (f64.add
                (f64.promote_f32 (f32.mul (local.get $r0) (f32.load (i32.add (local.get $p0) (local.get $o)))))
                (f64.promote_f32 (f32.mul (local.get $r1) (f32.load (i32.add (local.get $p1) (local.get $o))))))
              (f64.add
                (f64.promote_f32 (f32.mul (local.get $r2) (f32.load (i32.add (local.get $p2) (local.get $o)))))
                (f64.promote_f32 (f32.mul (local.get $r3) (f32.load (i32.add (local.get $p3) (local.get $o)))))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $g0 (i32.add (local.get $g0) (i32.const 8)))
        (br $l2))))

  ;; Residuals and loss of one row: z (k f64) in, r (k f32) out, bias gradients gb (k f64) += r.
  ;; kind 0 linear, 1 logistic, 2 softmax (label = class index, checked by the caller).
  (func $resid (param $kind i32) (param $k i32) (param $z i32) (param $r i32) (param $gb i32) (param $y f32)
    (result f64)
    (local $t f64) (local $zz f64) (local $e f64) (local $p f64) (local $res f64)
    (local $c i32) (local $pa i32) (local $label i32) (local $max f64) (local $sum f64) (local $zl f64) (local $loss f64)
    (local.set $t (f64.promote_f32 (local.get $y)))
    (if (i32.eqz (local.get $kind))
      (then
        (local.set $res (f64.sub (f64.load (local.get $z)) (local.get $t)))
        (f64.store (local.get $gb) (f64.add (f64.load (local.get $gb)) (local.get $res)))
        (f32.store (local.get $r) (f32.demote_f64 (local.get $res)))
        (return (f64.mul (f64.const 0.5) (f64.mul (local.get $res) (local.get $res))))))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then
        (local.set $zz (f64.load (local.get $z)))
        (local.set $e (call $expneg (f64.neg (f64.abs (local.get $zz)))))
        (local.set $p
          (if (result f64) (f64.ge (local.get $zz) (f64.const 0))
            (then (f64.div (f64.const 1) (f64.add (f64.const 1) (local.get $e))))
            (else (f64.div (local.get $e) (f64.add (f64.const 1) (local.get $e))))))
        (local.set $res (f64.sub (local.get $p) (local.get $t)))
        (f64.store (local.get $gb) (f64.add (f64.load (local.get $gb)) (local.get $res)))
        (f32.store (local.get $r) (f32.demote_f64 (local.get $res)))
        (return
          (f64.sub
            (f64.add (call $log1p01 (local.get $e)) (f64.max (local.get $zz) (f64.const 0)))
            (f64.mul (local.get $t) (local.get $zz))))))
    ;; softmax
    (local.set $label (i32.trunc_sat_f32_u (local.get $y)))
    (local.set $zl (f64.load (i32.add (local.get $z) (i32.shl (local.get $label) (i32.const 3)))))
    (local.set $max (f64.const -inf))
    (local.set $c (i32.const 0))
    (loop $m
      (local.set $max (f64.max (local.get $max) (f64.load (i32.add (local.get $z) (i32.shl (local.get $c) (i32.const 3))))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $m (i32.lt_u (local.get $c) (local.get $k))))
    ;; z[c] := exp(z[c] − max); sum them
    (local.set $c (i32.const 0))
    (loop $s
      (local.set $pa (i32.add (local.get $z) (i32.shl (local.get $c) (i32.const 3))))
      (local.set $e (call $expneg (f64.sub (f64.load (local.get $pa)) (local.get $max))))
      (f64.store (local.get $pa) (local.get $e))
      (local.set $sum (f64.add (local.get $sum) (local.get $e)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $c) (local.get $k))))
    ;; loss = max + log(sum) − z[label]; r[c] = e[c]/sum − [c = label]
    (local.set $loss (f64.sub (f64.add (local.get $max) (call $logge1 (local.get $sum))) (local.get $zl)))
    (local.set $c (i32.const 0))
    (loop $g
      (local.set $res (f64.div (f64.load (i32.add (local.get $z) (i32.shl (local.get $c) (i32.const 3)))) (local.get $sum)))
      (if (i32.eq (local.get $c) (local.get $label))
        (then (local.set $res (f64.sub (local.get $res) (f64.const 1)))))
      (local.set $pa (i32.add (local.get $gb) (i32.shl (local.get $c) (i32.const 3))))
      (f64.store (local.get $pa) (f64.add (f64.load (local.get $pa)) (local.get $res)))
      (f32.store (i32.add (local.get $r) (i32.shl (local.get $c) (i32.const 2))) (f32.demote_f64 (local.get $res)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $g (i32.lt_u (local.get $c) (local.get $k))))
    (local.get $loss))

  ;; One chunk: rows rs..re−1 (of idx when idx ≠ 0, else of the batch), k outputs, d features.
  ;; x: f32 rows×d; y: f32; w: f32 k×d; b: f64 k; out: f64 k·(d+1) gradient sums in the
  ;; parameter layout ([b_c, w_c1..w_cd] per class) then the loss sum; scr: this thread's scratch
  ;; (see wasm-simd-kernel.ts: scratchBytes). Returns the loss sum.
  (func (export "chunk")
    (param $kind i32) (param $k i32) (param $d i32) (param $x i32) (param $y i32) (param $idx i32)
    (param $rs i32) (param $re i32) (param $w i32) (param $b i32) (param $out i32) (param $scr i32)
    (result f64)
    (local $rowp i32) (local $rowi i32) (local $z i32) (local $r32 i32) (local $g64 i32) (local $gb i32)
    (local $kd i32) (local $rb i32) (local $bs i32) (local $n i32) (local $np i32) (local $i i32) (local $c i32)
    (local $row i32) (local $loss f64) (local $q i32) (local $wrow i32) (local $zs i32) (local $rs4 i32)
    (local $zz f64) (local $gb0 f64)
    (local.set $kd (i32.mul (local.get $k) (local.get $d)))
    (local.set $rb (i32.shl (local.get $d) (i32.const 2)))
    (local.set $rowp (local.get $scr))
    (local.set $rowi (i32.add (local.get $scr) (i32.const 256)))
    (local.set $z (i32.add (local.get $scr) (i32.const 512)))
    (local.set $r32 (i32.add (local.get $z) (i32.mul (local.get $k) (i32.const 288))))
    (local.set $g64 (i32.add (local.get $r32) (i32.mul (local.get $k) (i32.const 144))))
    (local.set $gb (i32.add (local.get $g64) (i32.shl (local.get $kd) (i32.const 3))))
    (memory.fill (local.get $g64) (i32.const 0) (i32.shl (i32.add (local.get $kd) (local.get $k)) (i32.const 3)))
    (local.set $zs (i32.shl (local.get $k) (i32.const 3)))
    (local.set $rs4 (i32.shl (local.get $k) (i32.const 2)))
    (local.set $bs (local.get $rs))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $bs) (local.get $re)))
        (local.set $n (i32.sub (local.get $re) (local.get $bs)))
        (if (i32.gt_u (local.get $n) (i32.const 32)) (then (local.set $n (i32.const 32))))
        (local.set $np (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)))
        ;; row indices and row addresses; padding rows repeat the last row
        (local.set $i (i32.const 0))
        (loop $rows
          (local.set $row
            (if (result i32) (i32.lt_u (local.get $i) (local.get $n))
              (then
                (if (result i32) (local.get $idx)
                  (then (i32.load (i32.add (local.get $idx) (i32.shl (i32.add (local.get $bs) (local.get $i)) (i32.const 2)))))
                  (else (i32.add (local.get $bs) (local.get $i)))))
              (else (local.get $row))))
          (i32.store (i32.add (local.get $rowi) (i32.shl (local.get $i) (i32.const 2))) (local.get $row))
          (i32.store (i32.add (local.get $rowp) (i32.shl (local.get $i) (i32.const 2)))
            (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $rb))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $i) (local.get $np))))
        ;; 1. z for every (row, class)
        (local.set $i (i32.const 0))
        (loop $dots
          (local.set $q (i32.add (local.get $rowp) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $c (i32.const 0))
          (loop $cls
            (call $dot4
              (i32.load (local.get $q)) (i32.load offset=4 (local.get $q))
              (i32.load offset=8 (local.get $q)) (i32.load offset=12 (local.get $q))
              (i32.add (local.get $w) (i32.mul (local.get $c) (local.get $rb))) (local.get $d)
              (i32.add (local.get $z) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 3)))
              (local.get $zs)
              (f64.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $cls (i32.lt_u (local.get $c) (local.get $k))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $dots (i32.lt_u (local.get $i) (local.get $np))))
        ;; 2. residuals and loss, in row order; padding rows get r = 0
        (local.set $i (i32.const 0))
        (if (i32.eqz (local.get $kind))
          (then
            ;; linear, inline: r = z − y, loss ½r² (the same arithmetic as $resid)
            (loop $lin
              (local.set $zz
                (if (result f64) (i32.lt_u (local.get $i) (local.get $n))
                  (then
                    (f64.sub (f64.load (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3))))
                      (f64.promote_f32 (f32.load (i32.add (local.get $y)
                        (i32.shl (i32.load (i32.add (local.get $rowi) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))))
                  (else (f64.const 0))))
              (if (i32.lt_u (local.get $i) (local.get $n))
                (then
                  (local.set $loss (f64.add (local.get $loss) (f64.mul (f64.const 0.5) (f64.mul (local.get $zz) (local.get $zz)))))
                  (local.set $gb0 (f64.add (local.get $gb0) (local.get $zz)))))
              (f32.store (i32.add (local.get $r32) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $zz)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $lin (i32.lt_u (local.get $i) (local.get $np))))
            (local.set $i (local.get $np))))
        (if (i32.lt_u (local.get $i) (local.get $np)) (then (loop $res
          (if (i32.lt_u (local.get $i) (local.get $n))
            (then
              (local.set $loss
                (f64.add (local.get $loss)
                  (call $resid (local.get $kind) (local.get $k)
                    (i32.add (local.get $z) (i32.mul (local.get $i) (local.get $zs)))
                    (i32.add (local.get $r32) (i32.mul (local.get $i) (local.get $rs4)))
                    (local.get $gb)
                    (f32.load (i32.add (local.get $y)
                      (i32.shl (i32.load (i32.add (local.get $rowi) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))))))
            (else
              (memory.fill (i32.add (local.get $r32) (i32.mul (local.get $i) (local.get $rs4))) (i32.const 0) (local.get $rs4))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $res (i32.lt_u (local.get $i) (local.get $np))))))
        ;; 3. G += Rᵀ X, four rows at a time
        (local.set $i (i32.const 0))
        (loop $accs
          (local.set $q (i32.add (local.get $rowp) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $c (i32.const 0))
          (loop $cls2
            (local.set $wrow (i32.add (local.get $r32) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 2))))
            (call $acc4
              (i32.load (local.get $q)) (i32.load offset=4 (local.get $q))
              (i32.load offset=8 (local.get $q)) (i32.load offset=12 (local.get $q))
              (f32.load (local.get $wrow))
              (f32.load (i32.add (local.get $wrow) (local.get $rs4)))
              (f32.load (i32.add (local.get $wrow) (i32.shl (local.get $rs4) (i32.const 1))))
              (f32.load (i32.add (local.get $wrow) (i32.mul (local.get $rs4) (i32.const 3))))
              (i32.add (local.get $g64) (i32.shl (i32.mul (local.get $c) (local.get $rb)) (i32.const 1)))
              (local.get $d))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $cls2 (i32.lt_u (local.get $c) (local.get $k))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $accs (i32.lt_u (local.get $i) (local.get $np))))
        (local.set $bs (i32.add (local.get $bs) (local.get $n)))
        (br $blocks)))
    (if (i32.eqz (local.get $kind)) (then (f64.store (local.get $gb) (local.get $gb0))))
    ;; out: [gb_c, G64[c, 0..d)] per class, then the loss
    (local.set $c (i32.const 0))
    (loop $o
      (local.set $q (i32.add (local.get $out) (i32.shl (i32.mul (local.get $c) (i32.add (local.get $d) (i32.const 1))) (i32.const 3))))
      (f64.store (local.get $q) (f64.load (i32.add (local.get $gb) (i32.shl (local.get $c) (i32.const 3)))))
      (memory.copy (i32.add (local.get $q) (i32.const 8))
        (i32.add (local.get $g64) (i32.shl (i32.mul (local.get $c) (local.get $d)) (i32.const 3)))
        (i32.shl (local.get $d) (i32.const 3)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $o (i32.lt_u (local.get $c) (local.get $k))))
    (f64.store (i32.add (local.get $out) (i32.shl (i32.mul (local.get $k) (i32.add (local.get $d) (i32.const 1))) (i32.const 3)))
      (local.get $loss))
    (local.get $loss))
)
