/**
 * Wiring shared by the Raspberry Pi 4 and 5 (same 40-pin header, BCM numbering):
 *   status LED  BCM 17 (header pin 11) through a resistor to ground, lit when high
 *   button      BCM 27 (header pin 13) to ground, pressed when low; the pull-up is set at boot by config.txt
 *               (`gpio=27=ip,pu`), since the sysfs interface cannot set pulls
 *   onboard     the green ACT LED (/sys/class/leds/ACT, `led0` on kernels before 6.1), so a box with nothing
 *               wired still shows its state
 */
import type { ButtonPin, LedTarget } from './types.ts';

export const RPI_STATUS_LEDS: readonly LedTarget[] = [
  { kind: 'sysfs-led', names: ['ACT', 'led0'] },
  { kind: 'gpio', line: 17, activeLow: false },
];

export const RPI_BUTTON: ButtonPin = { line: 27, activeLow: true };
