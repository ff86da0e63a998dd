// Newsdesk: progressive enhancement for the share row. Without this file the
// "Copy link" entry is a plain link to the story; with it, the link is copied.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.share-copy");
  if (!link || !navigator.clipboard) return;
  event.preventDefault();
  navigator.clipboard.writeText(link.dataset.url).then(function () {
    var before = link.textContent;
    link.textContent = "Link copied";
    link.setAttribute("aria-live", "polite");
    setTimeout(function () { link.textContent = before; }, 2000);
  });
});
