// The run's controls: the state and run number, and Play, Prepare, Stop and Force stop, each
// enabled only when it means something in the current state; F5 plays, Shift+F5 stops (and,
// while stopping, forces the stop, as a second Ctrl-C does), Ctrl+Shift+B prepares.

import { Unauthorized, command } from './api.js';

const TERMINAL = new Set(['idle', 'prepared', 'prepare_failed', 'stopped', 'runtime_failed']);
const STOPPABLE = new Set(['preparing', 'connecting', 'running']);

// Which commands mean something in `state`.
export function enabledCommands(state) {
  return {
    play: TERMINAL.has(state),
    prepare: TERMINAL.has(state),
    stop: STOPPABLE.has(state),
    kill: STOPPABLE.has(state) || state === 'stopping',
  };
}

export class Controls {
  // `elements`: { state, run, play, prepare, stop, kill, message }; `onUnauthorized()`.
  constructor(elements, onUnauthorized) {
    this.elements = elements;
    this.onUnauthorized = onUnauthorized;
    this.state = null;
    this.connected = false;
    elements.play.addEventListener('click', () => this.send('play', { goal: 'play' }));
    elements.prepare.addEventListener('click', () => this.send('play', { goal: 'prepare' }));
    elements.stop.addEventListener('click', () => this.send('stop'));
    elements.kill.addEventListener('click', () => this.send('kill'));
    document.addEventListener('keydown', (event) => this.key(event));
    this.update();
  }

  setState(state, run) {
    this.state = state;
    this.elements.state.textContent = state.replace('_', ' ');
    this.elements.state.dataset.state = state;
    this.elements.run.textContent = run > 0 ? String(run) : '—';
    this.update();
  }

  setConnected(connected) {
    this.connected = connected;
    this.update();
  }

  update() {
    const enabled = this.connected && this.state !== null ? enabledCommands(this.state) : {};
    for (const name of ['play', 'prepare', 'stop', 'kill']) this.elements[name].disabled = !enabled[name];
  }

  say(text) {
    this.elements.message.textContent = text;
    this.elements.message.hidden = text === '';
  }

  async send(name, body) {
    this.say('');
    try {
      const answer = await command(name, body);
      if (answer.outcome === 'ignored') this.say(`Play ignored: a run is already ${answer.state}.`);
    } catch (error) {
      if (error instanceof Unauthorized) this.onUnauthorized();
      else this.say(error.message);
    }
  }

  key(event) {
    const click = (name) => {
      event.preventDefault();
      if (!this.elements[name].disabled) this.elements[name].click();
    };
    if (event.key === 'F5' && !event.ctrlKey && !event.altKey) {
      if (event.shiftKey) click(this.state === 'stopping' ? 'kill' : 'stop');
      else click('play');
    } else if ((event.key === 'B' || event.key === 'b') && event.ctrlKey && event.shiftKey) {
      click('prepare');
    }
  }
}
