// The desk's only script: drop files, show progress, refresh the board when a check is done.
// The pages work without it (plain forms); everything it writes into the page goes through textContent.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  const body = document.body;
  const statusUrl = body.dataset.status;
  const boardUrl = body.dataset.board;
  const limit = Number(body.dataset.uploadLimit || 0);
  const tooLarge = body.dataset.tooLarge || "";
  let version = body.dataset.version;
  let lastShown = null;
  let timer = null;
  let uploading = 0;

  const $ = (id) => document.getElementById(id);

  function say(box, tone, text) {
    const p = document.createElement("p");
    p.className = "notice tone-" + tone;
    p.textContent = text;
    box.appendChild(p);
    return p;
  }

  function showJob(s) {
    const bar = $("job");
    if (!bar) return;
    const text = $("job-text"), progress = $("job-progress"), count = $("job-count"), links = $("job-links");
    const job = s.job;
    if (job) {
      bar.dataset.running = "1";
      const label = job.label + "…";
      if (text.textContent.trim() !== label) text.textContent = label;
      progress.hidden = false;
      if (job.total) {
        progress.max = job.total;
        progress.value = job.done;
        count.textContent = job.done + "/" + job.total + " tệp";
      } else {
        progress.removeAttribute("value");
        count.textContent = "";
      }
      links.textContent = "";
      lastShown = null;
      return;
    }
    bar.dataset.running = "";
    progress.hidden = true;
    count.textContent = "";
    const last = s.last;
    if (last && last.id !== lastShown) {
      lastShown = last.id;
      text.textContent = last.message;
      links.textContent = "";
      for (const [label, href] of last.links) {
        const a = document.createElement("a");
        a.className = "button-link";
        a.href = href;
        a.textContent = label;
        links.appendChild(a);
      }
    }
  }

  async function refresh(s) {
    const board = $("board-table");
    if (board) {
      const answer = await fetch(boardUrl + location.search, { cache: "no-store" });
      if (answer.ok) {
        const fresh = document.createElement("template");
        fresh.innerHTML = await answer.text();  // rendered by the desk's templates, every value escaped
        for (const id of ["totals", "year-downloads", "board-table"]) {
          const now = $(id), next = fresh.content.getElementById(id);
          if (now && next) now.replaceWith(next);
        }
        version = String(s.version);
        body.dataset.version = version;
      }
      return;
    }
    if ($("waiting") && !$("board-table")) {
      location.reload();
      return;
    }
    const stale = $("stale");
    if (stale) {
      const typing = Array.from(document.querySelectorAll("textarea")).some((t) => t.value.trim());
      if (typing) {
        stale.hidden = false;
      } else {
        location.reload();
      }
      version = String(s.version);
    }
  }

  async function tick() {
    let s = null;
    try {
      const answer = await fetch(statusUrl, { cache: "no-store", headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error(String(answer.status));
      s = await answer.json();
      showJob(s);
      if (s.ready && String(s.version) !== String(version)) await refresh(s);
    } catch (e) {
      const text = $("job-text");
      if (text) text.textContent = "Mất kết nối tới trang làm việc: lệnh “baocao web” có thể đã dừng. Hãy chạy lại lệnh rồi mở địa chỉ mới.";
    }
    schedule(s && (s.job || !s.ready || uploading) ? 300 : 2500);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }

  function sendOne(form, file, box) {
    return new Promise((resolve) => {
      if (limit && file.size > limit) {
        say(box, "bad", tooLarge.replace("{name}", file.name));
        resolve();
        return;
      }
      const line = say(box, "", "Đang tải lên “" + file.name + "”…");
      const data = new FormData();
      data.append("tep", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) line.textContent = "Đang tải lên “" + file.name + "”: " + Math.round(100 * e.loaded / e.total) + "%";
      };
      xhr.onload = () => {
        line.remove();
        try {
          for (const m of JSON.parse(xhr.responseText).messages) say(box, m.tone, m.text);
        } catch (e) {
          say(box, "bad", "Không tải lên được “" + file.name + "” (mã trả lời " + xhr.status + "). Hãy thử lại.");
        }
        resolve();
      };
      xhr.onerror = () => {
        line.remove();
        say(box, "bad", "Không tải lên được “" + file.name + "”: mất kết nối tới trang làm việc.");
        resolve();
      };
      xhr.send(data);
    });
  }

  async function upload(files) {
    const form = $("drop"), box = $("upload-messages");
    if (!form || !files.length) return;
    box.textContent = "";
    uploading += 1;
    schedule(300);
    for (const file of Array.from(files)) await sendOne(form, file, box);
    uploading -= 1;
    const input = $("tep");
    if (input) input.value = "";
    schedule(100);
  }

  const form = $("drop");
  if (form) {
    const input = $("tep");
    input.addEventListener("change", () => upload(input.files));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      upload(input.files);
    });
    let depth = 0;
    document.addEventListener("dragenter", (e) => { e.preventDefault(); depth += 1; form.classList.add("over"); });
    document.addEventListener("dragover", (e) => { e.preventDefault(); });
    document.addEventListener("dragleave", () => { depth -= 1; if (depth <= 0) { depth = 0; form.classList.remove("over"); } });
    document.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      form.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files);
    });
  }

  const filter = $("filter");
  if (filter) {
    for (const id of ["loc", "xep", "giam"]) {
      const control = $(id);
      if (control) control.addEventListener("change", () => filter.submit());
    }
  }

  const year = $("chon-nam");
  if (year) year.addEventListener("change", () => year.form.submit());

  schedule(body.dataset.version === "0" ? 200 : 1000);
})();
