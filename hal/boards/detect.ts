/** Which board we run on, from the device-tree model string under the root. */
import { readFile } from 'node:fs/promises';
import { underRoot } from '../paths.ts';
import type { HalWarning } from '../warnings.ts';
import { generic } from './generic.ts';
import { rpi4 } from './rpi4.ts';
import { rpi5 } from './rpi5.ts';
import type { BoardDefinition, BoardId } from './types.ts';

export const BOARDS: Readonly<Record<BoardId, BoardDefinition>> = { rpi4, rpi5, generic };

/** The newer path first; /proc/device-tree is a symlink to it kept for old userspace. */
export const MODEL_PATHS = ['/sys/firmware/devicetree/base/model', '/proc/device-tree/model'] as const;

export function boardForModel(model: string): BoardDefinition | null {
  for (const board of [rpi4, rpi5]) if (board.modelPattern?.test(model)) return board;
  return null;
}

export interface Detection {
  readonly board: BoardDefinition;
  /** The model string, without the device tree's trailing NUL; null when the machine has no device tree. */
  readonly model: string | null;
  readonly warnings: readonly HalWarning[];
}

/** Never throws: an unreadable or unknown model gives the generic board and says why. */
export async function detectBoard(root: string): Promise<Detection> {
  for (const modelPath of MODEL_PATHS) {
    let raw: string;
    try {
      raw = await readFile(underRoot(root, modelPath), 'utf8');
    } catch {
      continue;
    }
    const model = raw.replace(/\0/g, '').trim();
    const board = model === '' ? null : boardForModel(model);
    if (board) return { board, model, warnings: [] };
    return {
      board: generic,
      model: model === '' ? null : model,
      warnings: [
        {
          code: 'BOARD_UNKNOWN',
          port: 'board',
          level: 'warn',
          message: `model "${model}" is not a board with a built-in pin map: using the generic board (no LED, button or console unless configured)`,
          path: underRoot(root, modelPath),
        },
      ],
    };
  }
  return { board: generic, model: null, warnings: [] };
}
