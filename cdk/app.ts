#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildShardtrainApp } from './shardtrain-app.js';

/** `cdk synth` / `cdk deploy` entry (cdk.json: `npx tsx cdk/app.ts`). */
const app = new App();
buildShardtrainApp(app);
app.synth();
