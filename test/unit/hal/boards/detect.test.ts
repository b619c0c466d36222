import { describe, expect, it } from 'vitest';
import { boardForModel, detectBoard } from '../../../../hal/boards/detect.ts';
import { addModel, fakeRoots } from '../fake-root.ts';

const root = fakeRoots();

describe('board detection from the device-tree model under the root', () => {
  it.each([
    ['Raspberry Pi 4 Model B Rev 1.4', 'rpi4'],
    ['Raspberry Pi 400 Rev 1.0', 'rpi4'],
    ['Raspberry Pi Compute Module 4 Rev 1.0', 'rpi4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'rpi5'],
    ['Raspberry Pi 500 Rev 1.0', 'rpi5'],
    ['Raspberry Pi Compute Module 5 Rev 1.0', 'rpi5'],
  ])('%s → %s', async (model, id) => {
    const r = root();
    addModel(r, model);
    const d = await detectBoard(r.dir);
    expect(d.board.id).toBe(id);
    expect(d.model).toBe(model); // trailing NUL removed
    expect(d.warnings).toEqual([]);
  });

  it('does not take a Pi 3 (or a Pi 45 some day) for a Pi 4 or 5', () => {
    expect(boardForModel('Raspberry Pi 3 Model B Plus Rev 1.3')).toBeNull();
    expect(boardForModel('Raspberry Pi 45')).toBeNull();
  });

  it('an unknown model gives the generic board with a BOARD_UNKNOWN warning naming the model', async () => {
    const r = root();
    addModel(r, 'Raspberry Pi 3 Model B Plus Rev 1.3');
    const d = await detectBoard(r.dir);
    expect(d.board.id).toBe('generic');
    expect(d.warnings).toMatchObject([{ code: 'BOARD_UNKNOWN', port: 'board', level: 'warn' }]);
    expect(d.warnings[0]!.message).toContain('Pi 3');
  });

  it('falls back to /proc/device-tree/model', async () => {
    const r = root();
    r.file('/proc/device-tree/model', 'Raspberry Pi 5 Model B Rev 1.0\0');
    expect((await detectBoard(r.dir)).board.id).toBe('rpi5');
  });

  it('no device tree at all (a PC, a container) is the generic board, silently', async () => {
    const d = await detectBoard(root().dir);
    expect(d).toEqual({ board: expect.objectContaining({ id: 'generic' }), model: null, warnings: [] });
  });

  it('the Pi pin maps: ACT LED and BCM 17, button on BCM 27 active-low, serial0 first', async () => {
    const r = root();
    addModel(r, 'Raspberry Pi 5 Model B Rev 1.0');
    const { board } = await detectBoard(r.dir);
    expect(board.gpioChipLabel).toBe('pinctrl-rp1');
    expect(board.statusLeds).toEqual([
      { kind: 'sysfs-led', names: ['ACT', 'led0'] },
      { kind: 'gpio', line: 17, activeLow: false },
    ]);
    expect(board.button).toEqual({ line: 27, activeLow: true });
    expect(board.uartPaths[0]).toBe('/dev/serial0');
  });
});
