import { LOOPBACK, tcpOpen } from '@shopfloor/stack-contract';
import type { ComponentSpec } from '../types';

/** Erlang's port mapper port, fixed by Erlang (ERL_EPMD_PORT); not in the port plan, compose has one per container. */
export const EPMD_PORT = 4369;

/**
 * The Erlang port mapper RabbitMQ registers its node with, run in the foreground as a component.
 * Left to itself, RabbitMQ's Erlang VM starts one as a daemon that outlives the stack; this way
 * it stops with the stack. Only used when no epmd answers yet (see NativeStack.start).
 */
export function epmd(): ComponentSpec {
  return {
    name: 'epmd',
    command: '/usr/bin/epmd',
    args: ['-address', LOOPBACK, '-port', String(EPMD_PORT)],
    ports: { epmd: EPMD_PORT },
    healthy: () => tcpOpen(EPMD_PORT),
  };
}
