/* 阳光办理 看板 — the public board on the hall's LED wall.
 *
 * /board?center=HQ&key=sqk_…[&layout=wide]   (the key may also be given as #key=sqk_…)
 *
 * Data: one JSON snapshot (/api/v1/board/<center>), refreshed when the event stream
 * (/api/v1/events, Server-Sent Events) says something changed, and once a minute anyway.
 * A call is shown straight from its event (no round trip), then the snapshot catches up.
 * Every value goes into the page with textContent, never innerHTML: a case summary such as
 * "<script>" could only ever show as text (and the page's CSP forbids inline script anyway).
 * The page never needs a hand on the wall PC: EventSource retries by itself, a closed stream is
 * recreated with backoff, and a new server version makes the page reload itself.
 */
(function () {
  "use strict";

  var DESIGN = { standard: [1920, 1080], wide: [3840, 1080] };
  var CASE_ROWS = { standard: 8, wide: 8 };
  var RECENT_ROWS = { standard: 4, wide: 7 };
  var FLASH_MS = 8000; // how long a new call stays highlighted
  var FRESH_CALL_MS = 30000; // a replayed call older than this is shown but not flashed
  var PAGE_MS = 12000; // case table page turn
  var SNAPSHOT_EVERY_MS = 60000; // even with a silent stream, countdowns and figures stay fresh
  var PUBLIC_POLL_MS = 15000;
  var MAX_BACKOFF_MS = 30000;

  var params = new URLSearchParams(window.location.search);
  var hashParams = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  var center = (params.get("center") || "").trim();
  var key = (params.get("key") || hashParams.get("key") || "").trim();
  var layout = params.get("layout") === "wide" ? "wide" : "standard";

  var state = {
    timezone: "Asia/Shanghai",
    serverOffsetMs: 0, // server clock minus this PC's clock: the wall PC's clock may be wrong
    assetsVersion: null,
    lastEventId: null,
    source: null,
    streamBackoffMs: 1000,
    snapshotBackoffMs: 2000,
    refreshTimer: null,
    retryTimer: null,
    refreshing: false,
    refreshAgain: false,
    shownCall: null, // {ticketId, at} of the call on screen
    flashTimer: null,
    cases: [],
    casePage: 0,
    streamOk: false,
    snapshotOk: true,
    fatal: "",
  };

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function serverNow() {
    return Date.now() + state.serverOffsetMs;
  }

  // --- fitting the fixed design canvas to whatever the wall PC outputs -------------------------

  function fit() {
    var size = DESIGN[layout];
    var stage = $("stage");
    var scale = Math.min(window.innerWidth / size[0], window.innerHeight / size[1]);
    stage.style.transform = "scale(" + scale + ")";
    stage.style.left = Math.max(0, (window.innerWidth - size[0] * scale) / 2) + "px";
    stage.style.top = Math.max(0, (window.innerHeight - size[1] * scale) / 2) + "px";
  }

  // --- clock ------------------------------------------------------------------------------------

  var dateFormat = null;
  var timeFormat = null;

  function makeFormats() {
    try {
      dateFormat = new Intl.DateTimeFormat("zh-CN", {
        timeZone: state.timezone, year: "numeric", month: "long", day: "numeric", weekday: "long",
      });
      timeFormat = new Intl.DateTimeFormat("zh-CN", {
        timeZone: state.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      });
    } catch (e) {
      dateFormat = new Intl.DateTimeFormat("zh-CN", { year: "numeric", month: "long", day: "numeric", weekday: "long" });
      timeFormat = new Intl.DateTimeFormat("zh-CN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    }
  }

  function tick() {
    var now = new Date(serverNow());
    $("clock-date").textContent = dateFormat.format(now);
    $("clock-time").textContent = timeFormat.format(now);
    setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
  }

  function monthDay(isoDate) {
    // "2026-11-20" → "11月20日" (a date, not an instant: no time zone involved)
    var parts = String(isoDate || "").split("-");
    if (parts.length !== 3) return "—";
    return parseInt(parts[1], 10) + "月" + parseInt(parts[2], 10) + "日";
  }

  // --- connection mark ----------------------------------------------------------------------------

  function updateConnectionMark() {
    var mark = $("connection");
    if (state.fatal) {
      mark.textContent = state.fatal;
      mark.hidden = false;
      return;
    }
    var healthy = state.snapshotOk && (state.streamOk || !key);
    mark.textContent = "正在重新连接…";
    mark.hidden = healthy;
  }

  // --- calls ----------------------------------------------------------------------------------------

  function showCall(call, at, flash) {
    var box = $("now-calling");
    $("now-number").textContent = call.display || "—";
    $("now-where").textContent = call.counter_number !== null && call.counter_number !== undefined
      ? "请到 " + call.counter_number + " 号窗口"
      : "";
    box.classList.remove("idle");
    state.shownCall = { ticketId: call.ticket_id, at: at };
    if (flash) {
      box.classList.remove("flash");
      void box.offsetWidth; // restart the animation for a second call in a row
      box.classList.add("flash");
      if (state.flashTimer) clearTimeout(state.flashTimer);
      state.flashTimer = setTimeout(function () {
        box.classList.remove("flash");
      }, FLASH_MS);
    }
  }

  function renderCalls(data) {
    var all = [];
    if (data.now_calling) all.push(data.now_calling);
    (data.recent_calls || []).forEach(function (c) { all.push(c); });
    var latest = data.now_calling;
    var shown = state.shownCall;
    var shownId = shown ? shown.ticketId : null;
    var shownListed = all.some(function (c) { return c.ticket_id === shownId; });
    // A call that is no longer a call (transferred back to the queue) leaves the screen, but only
    // once a snapshot read well after it says so: a read that started just before the call would not
    // know it yet.
    var shownGone = shown && !shownListed && (Date.parse(data.generated_at) || 0) - shown.at > 2000;
    if (latest) {
      var latestAt = Date.parse(latest.called_at) || 0;
      var same = shown && latest.ticket_id === shownId;
      // A snapshot read just before a call (or a recall, which keeps its first call time) must
      // not push the number that was just announced off the screen.
      if (!shown || same || latestAt >= shown.at || shownGone) {
        showCall(latest, same ? Math.max(latestAt, shown.at) : latestAt, false);
      }
    } else if (!shown || shownGone) {
      state.shownCall = null;
      $("now-number").textContent = "—";
      $("now-where").textContent = "请留意叫号";
      $("now-calling").classList.add("idle");
    }
    shownId = state.shownCall ? state.shownCall.ticketId : null;
    var list = $("recent-calls");
    list.replaceChildren();
    all.filter(function (c) { return c.ticket_id !== shownId; })
      .slice(0, RECENT_ROWS[layout])
      .forEach(function (c) {
        var item = el("li", "recent-call");
        item.appendChild(el("span", "recent-number", c.display));
        item.appendChild(el("span", "recent-counter", c.counter_number ? c.counter_number + " 号窗口" : ""));
        list.appendChild(item);
      });
    if (!list.children.length) list.appendChild(el("li", "recent-empty", "今日尚未叫号"));
  }

  // --- waiting ----------------------------------------------------------------------------------------

  function renderWaiting(categories) {
    var list = $("waiting-list");
    list.replaceChildren();
    (categories || []).forEach(function (c) {
      var item = el("li", "waiting-item" + (c.waiting ? "" : " quiet"));
      item.appendChild(el("span", "waiting-name", c.name));
      var count = el("span", "waiting-count");
      count.appendChild(el("span", "waiting-number", c.waiting));
      count.appendChild(el("span", "waiting-unit", "人等候"));
      item.appendChild(count);
      item.appendChild(el("span", "waiting-time", c.waiting ? "约 " + c.estimated_wait_minutes + " 分钟" : "无需等候"));
      list.appendChild(item);
    });
  }

  // --- public cases --------------------------------------------------------------------------------

  function countdown(deadlineIso) {
    if (!deadlineIso) return { text: "—", tone: "" };
    var left = Date.parse(deadlineIso) - serverNow();
    var hour = 3600 * 1000;
    var day = 24 * hour;
    if (left < 0) {
      var late = -left;
      return { text: late >= day ? "超期 " + Math.floor(late / day) + " 天" : "已超期", tone: "overdue" };
    }
    if (left >= day) return { text: "剩 " + Math.floor(left / day) + " 天", tone: left < 2 * day ? "soon" : "" };
    if (left >= hour) return { text: "剩 " + Math.floor(left / hour) + " 小时", tone: "soon" };
    return { text: "剩 " + Math.max(1, Math.floor(left / 60000)) + " 分钟", tone: "soon" };
  }

  function renderCasePage() {
    var rows = CASE_ROWS[layout];
    var pages = Math.max(1, Math.ceil(state.cases.length / rows));
    if (state.casePage >= pages) state.casePage = 0;
    var body = $("case-rows");
    body.replaceChildren();
    state.cases.slice(state.casePage * rows, state.casePage * rows + rows).forEach(function (c) {
      var row = el("tr");
      row.appendChild(el("td", "c-ref", c.reference));
      row.appendChild(el("td", "c-name", c.masked_name || "匿名"));
      row.appendChild(el("td", "c-cat", c.category_name));
      row.appendChild(el("td", "c-stage stage-" + c.status, c.stage_label));
      row.appendChild(el("td", "c-date", monthDay(c.received_date)));
      var due = c.paused ? { text: "暂停计时", tone: "paused" } : countdown(c.deadline_at);
      var dueCell = el("td", "c-due " + due.tone, due.text);
      // Counted on holidays not yet announced by the State Council: the date may still move.
      if (!c.paused && c.deadline_at && c.deadline_provisional) {
        var mark = el("span", "c-provisional", "暂定");
        mark.title = "节假日安排尚未公布，期限按法定节假日暂定";
        dueCell.appendChild(mark);
      }
      row.appendChild(dueCell);
      body.appendChild(row);
    });
    $("cases-empty").hidden = state.cases.length > 0;
    $("cases-page").textContent = pages > 1 ? "第 " + (state.casePage + 1) + " / " + pages + " 页" : "";
  }

  function turnCasePage() {
    state.casePage += 1;
    renderCasePage();
  }

  // --- month figures --------------------------------------------------------------------------------

  function renderMonth(m) {
    if (!m) return;
    $("month-label").textContent = m.month + " 数据";
    $("month-received").textContent = m.received;
    $("month-on-time").textContent = m.on_time_percent === null || m.on_time_percent === undefined
      ? "—"
      : m.on_time_percent + "%";
    $("month-on-time").title = m.closed_on_time + " / " + m.closed;
    $("month-satisfaction").textContent = m.satisfaction_percent === null || m.satisfaction_percent === undefined
      ? "—"
      : m.satisfaction_percent + "%";
  }

  // --- the snapshot ----------------------------------------------------------------------------------

  function render(data) {
    if (data.center) {
      $("center-name").textContent = data.center.name;
      document.title = "阳光办理 · " + data.center.name;
      if (data.center.timezone && data.center.timezone !== state.timezone) {
        state.timezone = data.center.timezone;
        makeFormats();
      }
    }
    renderCalls(data);
    renderWaiting(data.waiting);
    state.cases = data.cases || [];
    renderCasePage();
    renderMonth(data.month);
  }

  function scheduleRefresh(delayMs) {
    if (state.refreshTimer) return; // one refresh is already on its way: it will see this change too
    state.refreshTimer = setTimeout(function () {
      state.refreshTimer = null;
      refresh();
    }, delayMs);
  }

  function snapshotFailed() {
    state.snapshotOk = false;
    updateConnectionMark();
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(function () {
      state.retryTimer = null;
      refresh();
    }, state.snapshotBackoffMs);
    state.snapshotBackoffMs = Math.min(state.snapshotBackoffMs * 2, MAX_BACKOFF_MS);
  }

  function refresh() {
    if (state.refreshing) {
      state.refreshAgain = true; // a change arrived while reading: read once more afterwards
      return;
    }
    state.refreshing = true;
    var sentAt = Date.now();
    fetch("/api/v1/board/" + encodeURIComponent(center), {
      headers: { "X-Device-Key": key, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          state.fatal = "看板设备密钥无效，请联系管理员";
          throw new Error("refused");
        }
        if (response.status === 404) {
          state.fatal = "未找到服务中心 " + center;
          throw new Error("no such center");
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var receivedAt = Date.now();
        state.serverOffsetMs = Date.parse(data.generated_at) - (sentAt + receivedAt) / 2;
        if (state.assetsVersion && data.assets_version && data.assets_version !== state.assetsVersion) {
          window.location.reload(); // the server was upgraded: take its new page
          return;
        }
        state.assetsVersion = data.assets_version || state.assetsVersion;
        state.fatal = "";
        state.snapshotOk = true;
        state.snapshotBackoffMs = 2000;
        render(data);
        updateConnectionMark();
        // The snapshot answered but the stream is gone for good: start it again now.
        if (!state.source || state.source.readyState === EventSource.CLOSED) connect();
      })
      .catch(function () {
        snapshotFailed();
      })
      .then(function () {
        state.refreshing = false;
        if (state.refreshAgain) {
          state.refreshAgain = false;
          scheduleRefresh(0);
        }
      });
  }

  // --- the event stream ------------------------------------------------------------------------------

  function handleEvent(ev) {
    var kind = ev.kind || "";
    var payload = ev.payload || {};
    if (kind === "ticket.called" || kind === "ticket.recalled") {
      var at = Date.parse(ev.created_at) || serverNow();
      var fresh = serverNow() - at < FRESH_CALL_MS;
      if (fresh) showCall(payload, at, true);
      scheduleRefresh(200);
    } else if (kind === "ticket.issued") {
      scheduleRefresh(1000); // waiting counts only: no hurry, and kiosks issue in bursts
    } else if (/^(ticket|case|counter|category|center|stream)\./.test(kind)) {
      scheduleRefresh(300);
    }
  }

  function connect() {
    if (state.source) state.source.close();
    var url = "/api/v1/events?center=" + encodeURIComponent(center) + "&access_token=" + encodeURIComponent(key);
    if (state.lastEventId) url += "&since=" + encodeURIComponent(state.lastEventId);
    var source = new EventSource(url);
    state.source = source;
    source.onopen = function () {
      state.streamOk = true;
      state.streamBackoffMs = 1000;
      updateConnectionMark();
      scheduleRefresh(0); // whatever happened while we were away
    };
    source.onmessage = function (message) {
      if (message.lastEventId) state.lastEventId = message.lastEventId;
      var ev;
      try {
        ev = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      handleEvent(ev);
    };
    source.onerror = function () {
      state.streamOk = false;
      updateConnectionMark();
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        // The browser gave up (e.g. a proxy answered 502 while the server restarted): start over.
        source.close();
        setTimeout(function () {
          if (state.source === source) connect();
        }, state.streamBackoffMs);
        state.streamBackoffMs = Math.min(state.streamBackoffMs * 2, MAX_BACKOFF_MS);
      }
    };
  }

  // --- without a key: the public waiting figures only --------------------------------------------------

  function publicMode() {
    $("cases-locked").hidden = false;
    $("now-where").textContent = "叫号信息请看现场大屏";
    fetch("/api/v1/centers/" + encodeURIComponent(center), { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (c && c.name) $("center-name").textContent = c.name;
      })
      .catch(function () {});
    function poll() {
      fetch("/api/v1/centers/" + encodeURIComponent(center) + "/waiting", { cache: "no-store", credentials: "omit" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          state.snapshotOk = true;
          renderWaiting(data.categories);
          updateConnectionMark();
        })
        .catch(function () {
          state.snapshotOk = false;
          updateConnectionMark();
        })
        .then(function () {
          setTimeout(poll, PUBLIC_POLL_MS);
        });
    }
    poll();
  }

  // --- start -------------------------------------------------------------------------------------------

  function start() {
    document.body.classList.add("layout-" + layout);
    fit();
    window.addEventListener("resize", fit);
    makeFormats();
    tick();
    if (!center) {
      state.fatal = "请在地址中指定服务中心，例如 /board?center=HQ";
      updateConnectionMark();
      return;
    }
    if (!key) {
      publicMode();
      return;
    }
    refresh();
    connect();
    setInterval(function () { scheduleRefresh(0); }, SNAPSHOT_EVERY_MS);
    setInterval(turnCasePage, PAGE_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
