// A virtual list of fixed-height rows: only the rows in sight exist in the page, whatever the
// count. Browsers cap an element's height (about 17 million pixels in Firefox, 33 million in
// Chromium), so past MAX_SCROLL_HEIGHT the scroll range is scaled: the scrollbar spans the
// whole list and each pixel of it moves more than a pixel of rows. It follows the tail until
// the user scrolls up, and keeps the rows in sight still while rows arrive or are evicted.

const MAX_SCROLL_HEIGHT = 4_000_000;
// Within this many pixels of the bottom counts as at the bottom.
const BOTTOM_SLACK = 4;

export class VirtualList {
  // `scroller` scrolls; `renderRow(element, position)` fills a row element;
  // `onFollowChange(following)` is told when following starts or stops.
  constructor(scroller, { rowHeight, createRow, renderRow, onFollowChange }) {
    this.scroller = scroller;
    this.rowHeight = rowHeight;
    this.createRow = createRow;
    this.renderRow = renderRow;
    this.onFollowChange = onFollowChange;
    this.count = 0;
    this.following = true;
    this.anchor = 0; // the content pixel at the top of the view while not following
    this.expectedScrollTop = null;
    this.pool = [];
    this.rendered = []; // position shown by each pooled row, or -1

    this.layer = document.createElement('div');
    this.layer.className = 'vlist-layer';
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    scroller.append(this.layer, this.spacer);
    scroller.addEventListener('scroll', () => this.scrolled(), { passive: true });
    // Only a person stops the following: a scroll that no input preceded is the list's own
    // (a scroll event of an earlier placement that arrives late), however it reads.
    this.userInput = false;
    for (const type of ['wheel', 'keydown', 'pointerdown', 'touchstart']) {
      scroller.addEventListener(type, () => {
        this.userInput = true;
      }, { passive: true });
    }
    // A resized view keeps following the tail, or keeps its top row.
    new ResizeObserver(() => {
      this.place();
      this.render(true);
    }).observe(scroller);
  }

  get contentHeight() {
    return this.count * this.rowHeight;
  }

  get viewHeight() {
    return this.scroller.clientHeight;
  }

  // The scroll range the browser gets, and how content pixels map onto it.
  geometry() {
    const content = this.contentHeight;
    const spacer = Math.min(content, MAX_SCROLL_HEIGHT);
    const maxScroll = Math.max(0, spacer - this.viewHeight);
    const maxContent = Math.max(0, content - this.viewHeight);
    return { spacer, maxScroll, maxContent };
  }

  // The list now has `count` rows, `removedAtFront` of the old ones gone from its start.
  setCount(count, removedAtFront = 0) {
    this.count = count;
    this.anchor = Math.max(0, this.anchor - removedAtFront * this.rowHeight);
    this.place();
    this.render(true);
  }

  // Re-renders the rows in sight (their data changed) and keeps the position.
  refresh() {
    this.place();
    this.render(true);
  }

  follow(following) {
    if (this.following !== following) {
      this.following = following;
      this.onFollowChange(following);
    }
    if (following) {
      this.place();
      this.render(true);
    }
  }

  // Sets the spacer and the scroll position for the current count: the bottom when
  // following, else where the anchor row is.
  place() {
    const { spacer, maxScroll, maxContent } = this.geometry();
    this.spacer.style.height = `${spacer}px`;
    let top;
    if (this.following) {
      top = maxScroll;
      this.anchor = maxContent;
    } else {
      this.anchor = Math.min(this.anchor, maxContent);
      top = maxContent === 0 ? 0 : Math.round((this.anchor / maxContent) * maxScroll);
    }
    if (Math.abs(this.scroller.scrollTop - top) >= 1) {
      this.expectedScrollTop = top;
      this.scroller.scrollTop = top;
    }
  }

  scrolled() {
    const top = this.scroller.scrollTop;
    if (this.expectedScrollTop !== null && Math.abs(top - this.expectedScrollTop) < 1) {
      this.expectedScrollTop = null;
      return;
    }
    this.expectedScrollTop = null;
    if (this.following && !this.userInput) {
      this.place();
      this.render(false);
      return;
    }
    this.userInput = false;
    const { maxScroll, maxContent } = this.geometry();
    this.anchor = maxScroll === 0 ? 0 : (top / maxScroll) * maxContent;
    const atBottom = top >= maxScroll - BOTTOM_SLACK;
    if (atBottom !== this.following) {
      this.following = atBottom;
      this.onFollowChange(atBottom);
    }
    this.render(false);
  }

  render(force) {
    // Following shows the tail, whatever placement came last.
    if (this.following) this.anchor = this.geometry().maxContent;
    const rowHeight = this.rowHeight;
    const first = Math.floor(this.anchor / rowHeight);
    const offset = first * rowHeight - this.anchor;
    const visible = Math.ceil(this.viewHeight / rowHeight) + 1;
    const needed = Math.max(0, Math.min(visible, this.count - first));
    while (this.pool.length < needed) {
      const row = this.createRow();
      this.layer.append(row);
      this.pool.push(row);
      this.rendered.push(-1);
    }
    for (let k = 0; k < this.pool.length; k += 1) {
      const row = this.pool[k];
      if (k >= needed) {
        if (!row.hidden) {
          row.hidden = true;
          // A spare row keeps nothing: the page holds only what is in sight.
          for (const cell of row.children) cell.textContent = '';
        }
        this.rendered[k] = -1;
        continue;
      }
      row.hidden = false;
      row.style.transform = `translateY(${offset + k * rowHeight}px)`;
      const position = first + k;
      if (force || this.rendered[k] !== position) {
        this.renderRow(row, position);
        this.rendered[k] = position;
      }
    }
  }
}
