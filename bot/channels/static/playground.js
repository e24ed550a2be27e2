// Tally playground: a chat against one workspace through the bot's own dispatcher.
// Every piece of text is set with textContent (never as markup): answers cannot inject HTML.
// Every POST carries the session's CSRF token; a 401 (signed out, session expired) goes to sign-in.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const picker = document.getElementById("workspace");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const send = document.getElementById("send");
  const who = document.getElementById("who");
  const signOut = document.getElementById("sign-out");
  let csrfToken = "";

  function randomId(prefix) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // One conversation per browser tab (sessionStorage is per tab): follow-ups share memory.
  const conversation = sessionStorage.getItem("tally.conversation") || randomId("tab");
  sessionStorage.setItem("tally.conversation", conversation);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function say(kind, text) {
    const bubble = element("div", "msg " + kind);
    bubble.appendChild(element("div", "answer-text", text));
    log.appendChild(bubble);
    scrollDown();
    return bubble;
  }

  function renderTable(table) {
    const wrap = element("div", "table-wrap");
    const node = element("table", "answer-table");
    const head = node.createTHead().insertRow();
    table.columns.forEach((title) => head.appendChild(element("th", null, title)));
    const body = node.createTBody();
    table.rows.forEach((cells) => {
      const row = body.insertRow();
      cells.forEach((cell) => row.appendChild(element("td", null, cell)));
    });
    wrap.appendChild(node);
    return wrap;
  }

  function renderVotes(answerId) {
    const votes = element("div", "votes");
    [[1, "👍 Right", "This answer is right"], [-1, "👎 Wrong", "This answer is wrong"]]
      .forEach(([score, label, title]) => {
      const button = element("button", "vote", label);
      button.type = "button";
      button.title = title;
      button.addEventListener("click", async () => {
        const response = await post("/playground/api/feedback",
          { answer_id: answerId, conversation, score });
        if (response.ok) {
          votes.querySelectorAll(".vote").forEach((b) => b.classList.remove("chosen"));
          button.classList.add("chosen");
        }
      });
      votes.appendChild(button);
    });
    return votes;
  }

  function renderAnswer(bubble, answer) {
    bubble.className = "msg bot" + (answer.ok ? "" : " failed");
    bubble.replaceChildren(element("div", "answer-text", answer.text));
    if (answer.table && answer.table.rows.length) bubble.appendChild(renderTable(answer.table));
    if (answer.chart) {
      const chart = element("img", "answer-chart");
      chart.alt = "Chart of this answer";
      chart.src = answer.chart;
      chart.addEventListener("load", scrollDown);
      bubble.appendChild(chart);
    }
    // Readings Tally offers when it is not sure: a click asks that question as it is written.
    if (answer.choices && answer.choices.length) {
      const choices = element("div", "choices");
      answer.choices.forEach((question) => {
        const choice = element("button", "choice", question);
        choice.type = "button";
        choice.addEventListener("click", () => ask(question));
        choices.appendChild(choice);
      });
      bubble.appendChild(choices);
    }
    if (answer.suggestions && answer.suggestions.length) {
      const chips = element("div", "chips");
      answer.suggestions.forEach((question) => {
        const chip = element("button", "chip", question);
        chip.type = "button";
        chip.addEventListener("click", () => ask(question));
        chips.appendChild(chip);
      });
      bubble.appendChild(chips);
    }
    if (answer.answer_id) bubble.appendChild(renderVotes(answer.answer_id));
    scrollDown();
  }

  function toSignIn() { window.location.assign("/sign-in?next=/playground"); }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
      body: JSON.stringify(body),
    });
    if (response.status === 401) toSignIn();
    return response;
  }

  async function loadSession() {
    const response = await fetch("/playground/api/session", { credentials: "same-origin" });
    if (response.status === 401) { toSignIn(); return false; }
    const session = await response.json();
    csrfToken = session.csrf_token;
    who.textContent = session.email;
    return true;
  }

  async function ask(text) {
    text = text.trim();
    if (!text || !picker.value) return;
    say("user", text);
    const bubble = say("bot pending", "");
    send.disabled = true;
    try {
      const response = await post("/playground/api/chat", {
        workspace: picker.value, conversation, text, message_id: randomId("m"),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || "HTTP " + response.status);
      renderAnswer(bubble, answer);
    } catch (error) {
      renderAnswer(bubble, { ok: false, text: "Could not get an answer: " + error.message });
    } finally {
      send.disabled = false;
      input.focus();
    }
  }

  async function loadWorkspaces() {
    try {
      const response = await fetch("/playground/api/workspaces", { credentials: "same-origin" });
      if (response.status === 401) { toSignIn(); return; }
      const { workspaces } = await response.json();
      picker.replaceChildren();
      workspaces.forEach((w) => {
        const option = element("option", null, `${w.name} (${w.currency})`);
        option.value = w.name;
        picker.appendChild(option);
      });
      const remembered = localStorage.getItem("tally.workspace");
      if (workspaces.some((w) => w.name === remembered)) picker.value = remembered;
      if (!workspaces.length) {
        say("system", "You have no workspace yet: an admin can give you one with " +
          "`tally member add EMAIL --workspace NAME`, or run `tally demo`.");
        send.disabled = true;
      }
    } catch (error) {
      say("system", "Could not list the workspaces: " + error.message);
    }
  }

  picker.addEventListener("change", () => {
    localStorage.setItem("tally.workspace", picker.value);
    say("system", "Now asking " + picker.value + ".");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    ask(text);
  });
  signOut.addEventListener("click", async () => {
    await post("/playground/api/sign-out", {});
    toSignIn();
  });
  loadSession().then((signedIn) => { if (signedIn) loadWorkspaces(); });
  input.focus();
})();
