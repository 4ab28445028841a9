/** Static credentials; without them the AWS SDK's default chain applies (env, profile, IMDS ...). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where and as whom an AWS connector connects: the settings S3 and Kinesis share. */
export interface AwsConnection {
  /** The AWS region; the SDK's default (AWS_REGION, profile) when omitted. */
  readonly region?: string;
  /** A custom endpoint (an S3-compatible store, kinesalite, LocalStack, a VPC endpoint). */
  readonly endpoint?: string;
  readonly credentials?: AwsCredentials;
}

/**
 * The client settings common to every AWS SDK client the connectors build. An endpoint without
 * a region gets `us-east-1`: emulators and S3-compatible stores ignore the region, but the SDK
 * refuses to sign without one.
 * @internal
 */
export function awsClientConfig(connection: AwsConnection): { region?: string; endpoint?: string; credentials?: AwsCredentials } {
  const { region, endpoint, credentials } = connection;
  return {
    ...(region !== undefined ? { region } : endpoint !== undefined ? { region: 'us-east-1' } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials: { ...credentials } } : {}),
  };
}

/**
 * Where requests go, for error messages: the custom endpoint, or AWS's endpoint for the region.
 * Endpoints carry no credentials (the SDK signs requests instead). @internal
 */
export function describeEndpoint(connection: AwsConnection): string {
  if (connection.endpoint !== undefined) return connection.endpoint;
  return connection.region !== undefined ? `the AWS endpoint of region ${connection.region}` : "the AWS endpoint of the SDK's default region";
}

/** Values that must never appear in an error message or a log: the credentials, all of them. @internal */
export function awsSecrets(connection: AwsConnection): string[] {
  const c = connection.credentials;
  return c === undefined ? [] : [c.secretAccessKey, c.accessKeyId, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])];
}

/**
 * Loads an optional peer dependency (the SDK modules are never imported at module top level, so
 * the core does not pull them in), with an error that says what to install.
 * @internal
 */
export async function loadPeer<M>(load: () => Promise<M>, connector: string, pkg: string): Promise<M> {
  // On Node < 22 every SDK client prints an 8-line NodeVersionSupportWarning when it is built:
  // SDK versions published after January 2027 will need Node 22. The ones a user has installed
  // work, and the warning is the SDK's notice to whoever picks Node, not to a CLI user or an app's
  // end user. An app that wants it sets the variable to 'false' before the first source starts.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  try {
    return await load();
  } catch (err) {
    throw new Error(`the ${connector} connector needs the optional peer dependency '${pkg}': npm install ${pkg}`, { cause: err });
  }
}
