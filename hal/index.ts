/** The HAL's public surface (SPEC.md §9): ports, the factory, the pure helpers, boards and errors. */
export type * from './ports.ts';
export { createHal, type Hal, type HalHooks } from './create.ts';
export type { HalOptions, PinOverrides, PortChoice, WatchdogChoice } from './config.ts';
export { HalError, type HalErrorCode } from './errors.ts';
export type { HalLogger, HalWarning, HalWarningCode } from './warnings.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { OFF, ON, validatePattern, type LedPattern, type LedStep } from './led-pattern.ts';
export { STATE_PATTERNS, IDENTIFY_PATTERN, HOLD_WARNING_PATTERN, RESET_ACK_PATTERN, type AgentStateName } from './led-catalogue.ts';
export { DEFAULT_THRESHOLDS, stepGesture, nextDeadline, initialGestureState, type Gesture, type GestureThresholds } from './button-gestures.ts';
export { createGestureDetector, type GestureDetector } from './gesture-detector.ts';
export { createWatchdogKeeper, kickIntervalFor, type WatchdogKeeper } from './watchdog-keeper.ts';
export { BOARDS, detectBoard } from './boards/detect.ts';
export type { BoardDefinition, BoardId, ButtonPin, LedTarget } from './boards/types.ts';
export { createSimLed, type SimLed } from './sim/led.ts';
export { createSimButton, type SimButton } from './sim/button.ts';
export { createSimConsole, type SimConsole } from './sim/console.ts';
export { createSimWatchdog, type SimWatchdog } from './sim/watchdog.ts';
export { createSimSystemInfo, type SimSystemInfo } from './sim/sysinfo.ts';
