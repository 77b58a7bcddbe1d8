// A failed run's failure, typed in the `state` event, said in plain words.

const STEP_NAMES = {
  build: 'The build step',
  'pack-validation': 'The pack validation step',
  pack: 'The pack step',
};

const HANDSHAKE = {
  exited: 'the runtime exited before the debug handshake',
  timeout: 'the runtime never answered the debug handshake in time',
  closed: 'the runtime closed the debug connection before the handshake',
  bad_handshake: 'the runtime did not start with a valid debug handshake',
  version_mismatch: "the runtime speaks another major version of the debug protocol",
};

function ending(failure) {
  if (failure.signal) return `was killed by ${failure.signal}`;
  if (failure.exit_code !== undefined) return `exited with code ${failure.exit_code}`;
  return null;
}

// One or two sentences for `failure` (the `state` event's), or '' when there is none.
export function describeFailure(failure) {
  if (!failure) return '';
  const { stage } = failure;
  if (STEP_NAMES[stage]) {
    if (failure.cause === 'spawn') return `${STEP_NAMES[stage]} could not be started: check its command in [shipper].`;
    const how = ending(failure);
    return `${STEP_NAMES[stage]} failed: it ${how ?? 'failed'}.`;
  }
  if (stage === 'manifest') return 'The manifest (build/manifest.json) could not be produced: the pack step wrote none and there is no [cartridge] table, or it could not be written.';
  if (stage === 'spawn') return 'The runtime could not be started: check [runtime] path, or its debug address is taken.';
  if (stage === 'handshake') {
    const cause = HANDSHAKE[failure.cause] ?? 'the debug handshake failed';
    const how = ending(failure);
    return `The runtime failed to connect: ${cause}${how ? ` (it ${how})` : ''}.`;
  }
  if (stage === 'running') {
    const how = ending(failure);
    return `The runtime crashed while running: it ${how ?? 'ended abnormally'}.`;
  }
  return `The run failed at ${stage}.`;
}
