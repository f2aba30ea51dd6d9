/**
 * Global set-up of `npm run test:dynamodb-local`: one DynamoDB Local for the run, named to every test file through
 * the SDK's standard `AWS_ENDPOINT_URL_DYNAMODB`, which `startLocalDynamo` honours (each file gets its own table).
 * An endpoint already set (a DynamoDB Local you started yourself) is used as it is.
 */
import { startDynamoDbLocal } from "../support/dynamodb-local.ts";

export default async function setup() {
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB) return;
  const started = Date.now();
  const local = await startDynamoDbLocal();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoint;
  console.log(`DynamoDB Local on ${local.endpoint} (ready in ${Date.now() - started} ms)`);
  return async () => {
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    await local.stop();
  };
}
