// The small touch every page may use: the list of work to review (break-glass grants, requests)
// refreshes itself, so a reviewer who keeps it open sees new work without reloading. Served as a
// file; the pages' Content-Security-Policy allows no inline script.
"use strict";

(() => {
  const list = document.getElementById("review-list");
  if (!list) return;
  const url = list.dataset.refreshUrl;
  const seconds = Math.max(1, Number(list.dataset.refreshSeconds) || 5);
  const status = document.getElementById("review-list-status");
  let shown = list.innerHTML.trim();

  // Break-glass grants to review and requests to approve, counted apart to say which arrived.
  const countOf = (root) => ({
    grants: root.querySelectorAll(".grant-row").length,
    requests: root.querySelectorAll(".request-row:not(.grant-row)").length,
  });
  const news = (count, one, many) => (count === 1 ? `1 new ${one} to review.` : `${count} new ${many} to review.`);

  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" }, cache: "no-store" });
      if (response.redirected || response.status === 401) {
        window.location.assign("/login?next=/reviews");
        return;
      }
      if (!response.ok) return;
      const html = (await response.text()).trim();
      if (html === shown) return;
      const before = countOf(list);
      const fresh = new DOMParser().parseFromString(html, "text/html").body;
      list.replaceChildren(...fresh.childNodes);
      shown = list.innerHTML.trim();
      const after = countOf(list);
      const said = [];
      if (after.grants > before.grants) said.push(news(after.grants - before.grants, "break-glass grant", "break-glass grants"));
      if (after.requests > before.requests) said.push(news(after.requests - before.requests, "request", "requests"));
      if (status && said.length > 0) status.textContent = said.join(" ");
    } catch {
      // The gateway is restarting or the network dropped: the next tick tries again.
    } finally {
      window.setTimeout(refresh, seconds * 1000);
    }
  }

  window.setTimeout(refresh, seconds * 1000);
})();
