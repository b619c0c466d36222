/**
 * The API's command route: an operator or admin sends one of the fleet link's commands to a device and gets the
 * device's answer (command-sender.ts). Audited with the command's name, never its answer.
 *
 *   POST /api/devices/<id>/commands        body {"name": "identify"|"status"|"reload-config", "timeoutMs"?}
 *                                          → 200 the device's cmd/result {kind, seq, ok, code?, reason?, detail?}
 */
import { readJsonObject, replyJson } from '../console/index.ts';
import type { Registry } from '../registry/index.ts';
import { ADMIN_COMMANDS, type AdminCommand, type CommandSender, DEFAULT_COMMAND_TIMEOUT_MS, MAX_COMMAND_TIMEOUT_MS } from './command-sender.ts';
import type { RouteCaller, RouteHandler } from './api-route.ts';
import { ControllerError } from './errors.ts';

export interface CommandRouteContext extends RouteCaller {
  readonly commands: Pick<CommandSender, 'send'>;
  readonly registry: Pick<Registry, 'audit' | 'devices'>;
}

/** Answers `POST /api/devices/<id>/commands`; false for any other path. */
export const handleCommandRoute: RouteHandler<CommandRouteContext> = async (c, req, res, path) => {
  const [collection, id, action, extra] = path;
  if (req.method !== 'POST' || collection !== 'devices' || id === undefined || action !== 'commands' || extra !== undefined) return false;
  if (c.who.role === 'viewer') throw new ControllerError('FORBIDDEN', 'a viewer cannot send commands');
  const device = c.registry.devices.get(id);
  if (device === undefined || device.revokedAt !== null) throw new ControllerError('NOT_FOUND', `no enrolled device ${id}`);
  const body = await readJsonObject(req);
  const unknown = Object.keys(body).find((key) => key !== 'name' && key !== 'timeoutMs');
  if (unknown !== undefined) throw new ControllerError('BAD_INPUT', `unknown field ${unknown}: a command takes name and timeoutMs (these commands take no arguments)`);
  const name = body['name'];
  if (typeof name !== 'string' || !(ADMIN_COMMANDS as readonly string[]).includes(name)) {
    throw new ControllerError('BAD_INPUT', `name must be one of ${ADMIN_COMMANDS.join(', ')}`);
  }
  const timeoutMs = body['timeoutMs'] ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > MAX_COMMAND_TIMEOUT_MS) {
    throw new ControllerError('BAD_INPUT', `timeoutMs must be an integer 100…${MAX_COMMAND_TIMEOUT_MS}`);
  }
  c.registry.audit.append(c.who.actor, 'device.command', id, { name }, c.now());
  const result = await c.commands.send(id, name as AdminCommand, null, timeoutMs);
  replyJson(res, 200, result as unknown as Record<string, unknown>);
  return true;
};
