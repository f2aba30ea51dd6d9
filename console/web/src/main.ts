/** The console's entry: the key prompt (local mode), the hash router, the live order feed and the bell. */
import { authMode, forgetKey, getKey, setKey, whenUnauthorised } from "./api.ts";
import { h, replace } from "./dom.ts";
import { startFeed } from "./orders-feed.ts";
import { isMuted, onRingChange, ringingCount, setMuted, unlockAudio } from "./ring.ts";
import { renderCatalog } from "./views/catalog.ts";
import { renderOperations } from "./views/operations.ts";
import { renderOrderDetail } from "./views/order-detail.ts";
import { renderOrders } from "./views/orders.ts";
import { renderStores } from "./views/stores.ts";

const main = document.getElementById("main") as HTMLElement;
const muteButton = document.getElementById("mute") as HTMLButtonElement;
const keyButton = document.getElementById("key-button") as HTMLButtonElement;
const dialog = document.getElementById("key-dialog") as HTMLDialogElement;
const keyForm = document.getElementById("key-form") as HTMLFormElement;
const keyInput = document.getElementById("key-input") as HTMLInputElement;
const keyError = document.getElementById("key-error") as HTMLElement;
const ringBadge = document.getElementById("ring-badge") as HTMLElement;

let cleanup: () => void = () => {};

function route(): void {
  cleanup();
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const [section, id] = hash.split("/");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    const active = link.getAttribute("href") === `#/${section || "orders"}`;
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (section === "orders" && id) cleanup = renderOrderDetail(main, id);
  else if (section === "stores") cleanup = renderStores(main);
  else if (section === "catalog") cleanup = renderCatalog(main);
  else if (section === "operations") cleanup = renderOperations(main);
  else cleanup = renderOrders(main);
  main.querySelector<HTMLElement>("h1")?.focus({ preventScroll: false });
}

function drawMute(): void {
  const muted = isMuted();
  muteButton.setAttribute("aria-pressed", String(!muted));
  muteButton.textContent = muted ? "Sound: off" : "Sound: on";
  const n = ringingCount();
  ringBadge.hidden = n === 0;
  ringBadge.textContent = `${n} new`;
}

function askForKey(message = ""): void {
  keyError.textContent = message;
  if (!dialog.open) dialog.showModal();
  keyInput.focus();
}

function start(): void {
  startFeed();
  window.addEventListener("hashchange", route);
  route();
}

muteButton.addEventListener("click", () => {
  unlockAudio();
  setMuted(!isMuted());
  drawMute();
});
onRingChange(drawMute);
document.addEventListener("pointerdown", unlockAudio);
document.addEventListener("keydown", unlockAudio);

if (authMode().kind === "key") {
  keyButton.hidden = false;
  keyButton.addEventListener("click", () => {
    forgetKey();
    askForKey();
  });
  whenUnauthorised(() => {
    forgetKey();
    askForKey("The seller API refused that key. Enter the key local mode printed at start.");
  });
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (key.length < 16) {
      keyError.textContent = "A seller API key has at least 16 characters.";
      return;
    }
    setKey(key);
    keyInput.value = "";
    dialog.close();
    unlockAudio();
    if (!started) {
      started = true;
      start();
    } else route();
  });
  dialog.addEventListener("cancel", (event) => event.preventDefault());
}

let started = false;
drawMute();
if (authMode().kind === "session" || getKey()) {
  started = true;
  start();
} else {
  replace(main, h("p", {}, "Enter the seller API key to start."));
  askForKey();
}
