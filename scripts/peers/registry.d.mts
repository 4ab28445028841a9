// Types of registry.mjs for the TypeScript tests.

export interface RegistryOptions {
  /** Directory name under .peers/ (default 'registry'). */
  instance?: string;
  /** The API's port (default 18081, or TRIBUTARY_REGISTRY_PORT). */
  port?: number;
  /** Quarkus's management interface (default port + 10, or TRIBUTARY_REGISTRY_MANAGEMENT_PORT). */
  managementPort?: number;
  version?: string;
  heap?: string;
  timeoutMs?: number;
  quiet?: boolean;
}

export interface RegistryInstance {
  readonly instance: string;
  readonly version: string;
  readonly port: number;
  /** The Confluent API's base URL (…/apis/ccompat/v7). */
  readonly url: string;
  readonly home: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export const DEFAULT_APICURIO_VERSION: string;
export function resolveRegistry(options?: RegistryOptions): RegistryInstance;
export function provisionRegistry(options?: RegistryOptions): Promise<RegistryInstance>;
export function startRegistry(options?: RegistryOptions): Promise<RegistryInstance & { pid: number | undefined; started: boolean }>;
export function stopRegistry(options?: RegistryOptions, stop?: { graceMs?: number }): Promise<boolean>;
export function upRegistry(options?: RegistryOptions): Promise<RegistryInstance & { pid: number | undefined; started: boolean }>;
export function cleanRegistry(options?: RegistryOptions): Promise<void>;
export function registryAnswers(url: string, timeoutMs?: number): Promise<boolean>;
export function statusRegistry(options?: RegistryOptions): Promise<{ name: string; url: string; pid: number | undefined; answers: boolean }>;
