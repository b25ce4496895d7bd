// The planner as data: supervisor state → condition → a pattern per LED.
import t from 'tap';
import { checkLedConfig, conditionOf, defaultLedConfig, formatPattern, planLeds, replanAt, type LedState } from '../../../../hw/leds/index.js';

const NOW = 1_000_000;
const st = (health: LedState['health'], more: Partial<LedState> = {}): LedState => ({ health, busy: [], degraded: [], ...more });
const text = (s: LedState, config = defaultLedConfig()) => {
  const p = planLeds(s, config, NOW);
  return { condition: p.condition, status: formatPattern(p.leds.status), power: formatPattern(p.leds.power) };
};

t.test('the default plan for each state', async (t) => {
  const table: Array<[string, LedState, { condition: string; status: string; power: string }]> = [
    ['booting', st('booting'), { condition: 'booting', status: 'heartbeat', power: 'on' }],
    ['ready', st('ready'), { condition: 'ready', status: 'on', power: 'on' }],
    ['busy saving', st('ready', { busy: ['saving'] }), { condition: 'busy', status: 'blink 50 150', power: 'on' }],
    ['degraded by health', st('degraded'), { condition: 'degraded', status: 'on', power: 'blink 1000 1000' }],
    ['degraded by a reason', st('ready', { degraded: ['peer unreachable'] }), { condition: 'degraded', status: 'on', power: 'blink 1000 1000' }],
    ['degraded and busy: activity on status, degraded on power', st('degraded', { busy: ['replicating'] }), { condition: 'degraded', status: 'blink 50 150', power: 'blink 1000 1000' }],
    ['error', st('error', { busy: ['saving'] }), { condition: 'error', status: 'blink 100 100', power: 'blink 100 100' }],
    ['stopping', st('stopping', { busy: ['saving'] }), { condition: 'stopped', status: 'off', power: 'on' }],
    ['stopped', st('stopped'), { condition: 'stopped', status: 'off', power: 'on' }],
    ['identify wins over error', st('error', { identifyUntil: NOW + 1 }), { condition: 'identify', status: 'pattern 255 150 0 150 255 150 0 1050', power: 'pattern 255 150 0 150 255 150 0 1050' }],
    ['identify wins over booting', st('booting', { identifyUntil: NOW + 30_000 }), { condition: 'identify', status: 'pattern 255 150 0 150 255 150 0 1050', power: 'pattern 255 150 0 150 255 150 0 1050' }],
    ['identify that has run out', st('ready', { identifyUntil: NOW }), { condition: 'ready', status: 'on', power: 'on' }],
    ['booting beats degraded and busy', st('booting', { busy: ['importing'], degraded: ['disk'] }), { condition: 'booting', status: 'heartbeat', power: 'on' }],
  ];
  for (const [name, state, want] of table) t.same(text(state), want, name);
});

t.test('conditionOf is the plan\'s condition', async (t) => {
  t.equal(conditionOf(st('ready', { busy: ['x'] }), NOW), 'busy');
  t.equal(conditionOf(st('ready', { identifyUntil: NOW + 5 }), NOW), 'identify');
  t.equal(conditionOf(st('ready', { identifyUntil: NOW + 5 }), NOW + 5), 'ready');
});

t.test('configured patterns override the defaults per condition and role', async (t) => {
  const config = checkLedConfig({ patterns: { ready: { power: 'off' }, busy: { status: 'pattern 255 20 0 80' }, identify: { power: 'heartbeat' } } }, 'leds');
  t.same(text(st('ready'), config), { condition: 'ready', status: 'on', power: 'off' });
  t.same(text(st('ready', { busy: ['saving'] }), config), { condition: 'busy', status: 'pattern 255 20 0 80', power: 'on' });
  t.same(text(st('ready', { identifyUntil: NOW + 1 }), config).power, 'heartbeat');
  t.same(text(st('degraded', { busy: ['saving'] }), config).status, 'pattern 255 20 0 80', 'the blend takes the configured busy pattern');
});

t.test('replanAt: identify runs out at identifyUntil', async (t) => {
  t.equal(replanAt(st('ready', { identifyUntil: NOW + 10 }), NOW), NOW + 10);
  t.equal(replanAt(st('ready', { identifyUntil: NOW - 10 }), NOW), undefined);
  t.equal(replanAt(st('ready'), NOW), undefined);
});
