// The request page's player of session recordings. The gateway emulates the terminal and answers
// frames (GET /v1/recordings/{id}/frames): the rows of text that changed, the size and the cursor;
// this file only paints them into the <pre> in time, and asks the search route where a text was
// typed or shown, to jump there. Served as a file: the pages' Content-Security-Policy allows no
// inline script. It decides nothing: who may see which recording is the gateway's rule.
"use strict";

(() => {
  const player = document.getElementById("player");
  if (!player) return;
  const byId = (id) => document.getElementById(id);
  const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const requestId = player.dataset.requestId;
  const screen = byId("player-screen");
  const toggle = byId("player-toggle");
  const speedSelect = byId("player-speed");
  const bar = byId("player-bar");
  const progress = byId("player-progress");
  const status = byId("player-status");
  const title = byId("player-recording");
  const searchForm = byId("recording-search");
  const searchInput = byId("recording-search-input");
  const searchStatus = byId("recording-search-status");
  const matchList = byId("recording-matches");
  const watchButtons = [...document.querySelectorAll("button[data-watch-recording]")];

  // Pauses longer than this (microseconds) are shortened to it, as `countersign play --idle-limit 2`.
  const IDLE_LIMIT = 2_000_000;
  const PAGE_SIZE = 1000;
  // The next page is asked for while this many frames are still to be shown.
  const PREFETCH = 300;

  class GatewayRefusal extends Error {}

  // As the page's other scripts call the API: the session cookie and the anti-forgery header.
  async function getJSON(path) {
    const response = await fetch(path, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken },
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new GatewayRefusal(answer?.error?.message ?? `the gateway answered ${response.status}`);
    return answer;
  }

  // The recording in the player: its frames as far as fetched. The first frame of each page
  // holds every row, so the screen at any frame is rebuilt from the page start before it.
  let recording = null;
  let shown = -1;
  let rows = [];
  let columns = 0;
  let cursor = [0, 0];
  let playing = false;
  let speed = 1;
  let timer = null;
  // Bumped by every schedule, pause and load, so a timer or an answer of an earlier one is dropped.
  let ticket = 0;

  function say(message, kind = "") {
    status.textContent = message;
    status.dataset.kind = kind;
  }

  function fail(error) {
    pause();
    say(`The recording cannot be played: ${error.message}`, "refused");
  }

  function loadMore(target) {
    if (target.next === null) return Promise.resolve();
    if (!target.loading) {
      const from = target.next;
      const path = `/v1/recordings/${encodeURIComponent(target.id)}/frames?from=${from}&limit=${PAGE_SIZE}`;
      target.loading = getJSON(path)
        .then((page) => {
          if (page.frames.length > 0) target.pageStarts.add(target.frames.length);
          target.frames.push(...page.frames);
          target.next = page.next;
          target.duration = page.duration;
        })
        .finally(() => {
          target.loading = null;
        });
    }
    return target.loading;
  }

  function apply(frame) {
    if (frame.rows !== rows.length || frame.columns !== columns) {
      rows = Array.from({ length: frame.rows }, (_, row) => rows[row] ?? "");
      columns = frame.columns;
    }
    for (const [key, text] of Object.entries(frame.lines)) {
      const row = Number(key);
      if (Number.isInteger(row) && row >= 0 && row < rows.length) rows[row] = String(text);
    }
    cursor = frame.cursor;
  }

  const seconds = (microseconds) => `${(microseconds / 1_000_000).toFixed(1)} s`;

  function paint() {
    const [cursorRow, cursorColumn] = cursor;
    const nodes = [];
    rows.forEach((text, row) => {
      if (row > 0) nodes.push("\n");
      if (row !== cursorRow || shown < 0) {
        nodes.push(text);
        return;
      }
      const cells = Array.from(text);
      while (cells.length <= cursorColumn) cells.push(" ");
      const mark = document.createElement("span");
      mark.className = "cursor";
      mark.textContent = cells[cursorColumn];
      nodes.push(cells.slice(0, cursorColumn).join(""), mark, cells.slice(cursorColumn + 1).join(""));
    });
    screen.replaceChildren(...nodes);
    const now = shown >= 0 ? recording.frames[shown].time : 0;
    progress.textContent = `${seconds(now)} of ${seconds(recording.duration)}`;
    bar.value = recording.duration > 0 ? Math.round((1000 * now) / recording.duration) : 0;
  }

  // The screen at frame `index`: the next one applied to this one, any other rebuilt.
  function show(index) {
    const frames = recording.frames;
    if (index !== shown + 1) {
      let start = index;
      while (start > 0 && !recording.pageStarts.has(start)) start -= 1;
      rows = [];
      columns = 0;
      for (let frame = start; frame < index; frame += 1) apply(frames[frame]);
    }
    apply(frames[index]);
    shown = index;
    paint();
  }

  async function schedule() {
    const mine = ++ticket;
    window.clearTimeout(timer);
    timer = null;
    if (!playing) return;
    const target = recording;
    if (shown + 1 >= target.frames.length && target.next !== null) {
      try {
        await loadMore(target);
      } catch (error) {
        if (mine === ticket) fail(error);
        return;
      }
      if (mine !== ticket || !playing) return;
    }
    if (shown + 1 >= target.frames.length) {
      pause();
      say("Played to the end.");
      return;
    }
    const before = shown >= 0 ? target.frames[shown].time : 0;
    const wait = Math.min(target.frames[shown + 1].time - before, IDLE_LIMIT) / 1000 / speed;
    timer = window.setTimeout(() => {
      if (mine !== ticket) return;
      show(shown + 1);
      if (target.next !== null && target.frames.length - shown < PREFETCH) loadMore(target).catch(fail);
      schedule();
    }, Math.max(0, wait));
  }

  function play() {
    if (!recording || recording.frames.length === 0) return;
    if (shown + 1 >= recording.frames.length && recording.next === null) {
      // At the end: from the start again.
      rows = rows.map(() => "");
      shown = -1;
      paint();
    }
    playing = true;
    toggle.textContent = "Pause";
    say("");
    schedule();
  }

  function pause() {
    playing = false;
    ticket += 1;
    window.clearTimeout(timer);
    timer = null;
    toggle.textContent = "Play";
  }

  async function load(id) {
    pause();
    const target = { id, frames: [], pageStarts: new Set(), next: 0, duration: 0, loading: null };
    recording = target;
    shown = -1;
    rows = [];
    columns = 0;
    cursor = [0, 0];
    title.textContent = id;
    for (const button of watchButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.watchRecording === id));
    }
    say("Loading the recording…");
    try {
      await loadMore(target);
    } catch (error) {
      if (recording === target) fail(error);
      return false;
    }
    if (recording !== target) return false;
    if (target.frames.length === 0) {
      say("Nothing was recorded on the screen yet.");
      paint();
      return false;
    }
    // A blank screen of the session's size until it plays.
    rows = Array.from({ length: target.frames[0].rows }, () => "");
    columns = target.frames[0].columns;
    say("");
    paint();
    return true;
  }

  // The screen as it was at `time` (microseconds from the session's start).
  async function seek(time) {
    const target = recording;
    const lastTime = () => target.frames[target.frames.length - 1]?.time ?? -1;
    while (target.next !== null && lastTime() < time) {
      await loadMore(target);
      if (recording !== target) return;
    }
    if (target.frames.length === 0) return;
    let low = 0;
    let high = target.frames.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (target.frames[middle].time <= time) low = middle;
      else high = middle - 1;
    }
    show(low);
    if (playing) schedule();
  }

  function matchItem(match, severalRecordings) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "match";
    button.dataset.recordingId = match.recording_id;
    button.dataset.offset = String(match.offset_seconds);
    const kind = document.createElement("span");
    kind.className = `match-kind match-kind-${match.kind}`;
    kind.textContent = match.kind === "typed" ? "typed" : "output";
    const offset = document.createElement("span");
    offset.className = "match-offset";
    offset.textContent = `+${match.offset_seconds.toFixed(1)} s`;
    const text = document.createElement("code");
    text.className = "match-text";
    text.textContent = match.text;
    button.append(kind, " ", offset, " ", text);
    if (severalRecordings) {
      const where = document.createElement("span");
      where.className = "match-recording";
      where.textContent = ` in ${match.recording_id}`;
      button.append(where);
    }
    button.addEventListener("click", () => jump(match.recording_id, match.offset_seconds));
    item.append(button);
    return item;
  }

  async function jump(id, offsetSeconds) {
    try {
      if (!recording || recording.id !== id) {
        if (!(await load(id))) return;
      }
      await seek(Math.round(offsetSeconds * 1_000_000));
      say(`Jumped to +${offsetSeconds.toFixed(1)} s.`);
      screen.focus();
    } catch (error) {
      fail(error);
    }
  }

  searchForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = searchInput.value.trim();
    if (!query) return;
    searchStatus.textContent = "Searching…";
    matchList.replaceChildren();
    try {
      const answer = await getJSON(`/v1/recordings/search?q=${encodeURIComponent(query)}&request=${encodeURIComponent(requestId)}`);
      const several = new Set(answer.matches.map((match) => match.recording_id)).size > 1 || watchButtons.length > 1;
      matchList.replaceChildren(...answer.matches.map((match) => matchItem(match, several)));
      const count = answer.matches.length;
      let summary = count === 0 ? `Nothing typed or shown matches “${query}”.` : `${count} ${count === 1 ? "match" : "matches"}: choose one to see the screen at that moment.`;
      if (answer.skipped.length > 0) {
        summary += ` Not searched: ${answer.skipped.join(", ")} (too big to search, or a chunk changed on disk: see its state above).`;
      }
      searchStatus.textContent = summary;
    } catch (error) {
      searchStatus.textContent = `The search failed: ${error.message}`;
    }
  });

  toggle.addEventListener("click", () => (playing ? pause() : play()));
  speedSelect.addEventListener("change", () => {
    speed = Number(speedSelect.value) || 1;
    if (playing) schedule();
  });
  for (const button of watchButtons) {
    button.hidden = false;
    button.addEventListener("click", () => {
      load(button.dataset.watchRecording);
      player.scrollIntoView({ block: "nearest" });
    });
  }

  player.hidden = false;
  if (watchButtons.length > 0) load(watchButtons[0].dataset.watchRecording);
})();
