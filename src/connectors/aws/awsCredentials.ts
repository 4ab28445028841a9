import type { PropertyReader } from '../propertyReader.js';
import type { AwsCredentials } from './AwsConnection.js';

/**
 * Static credentials from three properties: both key properties or neither (then the SDK's
 * default credential chain applies). Errors name the properties, never their values.
 * @internal
 */
export function awsCredentials(p: PropertyReader, connector: string, access: string, secret: string, sessionToken: string): AwsCredentials | undefined {
  const accessKeyId = p.get(access);
  const secretAccessKey = p.get(secret);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new TypeError(`${connector} connector: set both '${access}' and '${secret}', or neither (default credential chain)`);
  }
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const token = p.get(sessionToken);
  return { accessKeyId, secretAccessKey, ...(token !== undefined ? { sessionToken: token } : {}) };
}
