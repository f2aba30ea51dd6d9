/**
 * The new-order bell: a WebAudio beep every few seconds and a count in the tab title while any new order waits
 * unopened. Muting is remembered on this device (localStorage); opened orders for this tab (sessionStorage).
 */
const MUTE_KEY = "pincode-bridge.muted";
const OPENED_KEY = "pincode-bridge.opened";
const BASE_TITLE = "pincode-bridge console";

let audio: AudioContext | undefined;
let waiting = new Set<string>();
let timer: ReturnType<typeof setInterval> | undefined;
const listeners: Array<() => void> = [];

export const isMuted = () => localStorage.getItem(MUTE_KEY) === "1";
export function setMuted(muted: boolean): void {
  localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
  update();
}

function opened(): Set<string> {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(OPENED_KEY) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

/** Someone opened the order: it stops ringing. */
export function markOpened(orderId: string): void {
  const set = opened();
  set.add(orderId);
  sessionStorage.setItem(OPENED_KEY, JSON.stringify([...set].slice(-500)));
  waiting.delete(orderId);
  update();
}

/** The new (not yet accepted) orders now known; those nobody opened ring. */
export function setNewOrders(ids: Iterable<string>): void {
  const seen = opened();
  waiting = new Set([...ids].filter((id) => !seen.has(id)));
  update();
}

export const ringingCount = () => waiting.size;
export const onRingChange = (fn: () => void) => listeners.push(fn);

/** Browsers only let audio start after a user gesture: any click or key press unlocks it. */
export function unlockAudio(): void {
  if (!audio && typeof AudioContext !== "undefined") audio = new AudioContext();
  void audio?.resume().catch(() => {});
}

function beep(): void {
  if (audio?.state !== "running") return;
  const now = audio.currentTime;
  for (const [offset, freq] of [
    [0, 880],
    [0.25, 1175],
  ] as const) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + offset);
    osc.stop(now + offset + 0.22);
  }
}

function update(): void {
  const n = waiting.size;
  document.title = n > 0 ? `(${n}) New order${n === 1 ? "" : "s"} — ${BASE_TITLE}` : BASE_TITLE;
  if (n > 0 && !isMuted()) {
    if (!timer) {
      beep();
      timer = setInterval(beep, 3_000);
    }
  } else if (timer) {
    clearInterval(timer);
    timer = undefined;
  }
  for (const fn of listeners) fn();
}
