import type { NativeCapabilities } from '../typings/native';
import { native } from './native';

/**
 * What the native engine of this installation can do: the ISA tier in use (after NPUQ_MAX_ISA),
 * every tier this CPU and build support, the engine's ops, the architecture and the N-API version.
 */
export function capabilities(): NativeCapabilities {
  return native().capabilities();
}
