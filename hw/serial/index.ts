// The serial line (hw/serial): a real port through serialport, or a simulated one on a unix
// socket; the supervisor puts the console on it (appliance/console/serial).
export { defaultSerialConfig, checkSerialConfig, choosePort, retryDelay, BAUD_RATES, AUTO_CANDIDATES, type SerialConfig, type PortProbe, type PortChoice, type RetryOptions } from './config.js';
export { openSerialLine, type SerialLine, type SerialStatus, type SerialLineOptions, type LineStream } from './line.js';
export { SIM_SOCKET } from './sim.js';
