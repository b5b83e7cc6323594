/// A small VT100/xterm emulator for the text export: fed a session's output with its times, it
/// keeps the screen the user was looking at and collects, as transcript lines, what left it.
///
/// Applied: printable text (UTF-8; combining marks join the cell before them; East Asian wide
/// characters and emoji take two cells), CR, LF (also VT and FF), BS, HT (stops every 8
/// columns), autowrap with xterm's pending wrap (DECAWM, `?7`), insert mode (IRM, `4`), the
/// DEC line-drawing character set (`ESC ( 0`, SO/SI), cursor moves (CUU CUD CUF CUB CNL CPL
/// CUP HVP CHA HPA VPA HPR VPR CHT CBT), ED and EL (and their `?` forms), ICH DCH ECH IL DL, REP,
/// scroll regions (DECSTBM, origin mode `?6`) with SU SD IND RI NEL, DECSC/DECRC and SCOSC/SCORC,
/// DECALN, DECSTR and RIS, the alternate screen (`?47`, `?1047`, `?1048`, `?1049`) and resizes.
///
/// Consumed and ignored: SGR (colours and attributes: the export is plain text), other modes,
/// reports and queries, OSC/DCS/APC/PM/SOS strings (titles, hyperlinks, sixels) up to BEL or ST.
///
/// Not handled (documented, so that nobody counts on them): settable tab stops (HTS, TBC: the
/// stops stay every 8 columns), left and right margins (DECSLRM), double-width lines, reverse
/// wrap, reflow on resize (a narrower terminal cuts its rows; a shorter one moves the rows above
/// the cursor into the transcript), and the scrollback a terminal keeps of the alternate screen
/// (none: it has none).
///
/// What becomes transcript lines, in this order of events:
/// - a line that scrolls off the top of the screen (on either screen, whenever the scroll region
///   starts at the top row), blank lines included;
/// - on the main screen, non-empty lines wiped by an erase of the display (`clear`, ED 0 and 1
///   for the rows they wipe whole, RIS), so that `clear` hides nothing from an auditor;
/// - when the alternate screen is left, its non-empty lines as they were at that moment (the last
///   frame of `top`, `vim` or `less`; earlier frames, redrawn in place, are not kept);
/// - at `finish`, the alternate screen's lines if it is still shown, then the main screen's
///   non-empty lines.
/// Rows the terminal wrapped are joined back into one line. ED 3 (erase scrollback) removes
/// nothing from the transcript.
///
/// Bounded: the screen is at most 1000 by 1000 cells (`AsciicastSize`), a cell holds at most 32
/// bytes of combining marks, sequence parameters are clamped (`TerminalParser`), and the lines
/// collected are bounded by `historyBudget` bytes; past it lines are counted in `omittedLines`
/// and dropped. No byte sequence can make it trap: a fuzz test holds it to its invariants.
public struct TerminalScreen: Sendable {
    public struct Position: Hashable, Sendable, CustomStringConvertible {
        public let row: Int
        public let column: Int

        public init(row: Int, column: Int) {
            self.row = row
            self.column = column
        }

        public var description: String { "(\(row), \(column))" }
    }

    struct Cell: Hashable, Sendable {
        /// The character and the marks combined with it; empty for a blank cell.
        var text: String
        /// 1; or 2 for the first half of a wide character and 0 for its second half.
        var width: UInt8

        static let blank = Cell(text: "", width: 1)
        static let continuation = Cell(text: "", width: 0)
        static let maximumTextLength = 32
    }

    struct Row: Sendable {
        var cells: [Cell]
        /// When the row was last written to; nil if never.
        var time: AsciicastTime?
        /// The terminal went on writing into the next row when this one was full.
        var wrapped = false

        init(columns: Int) {
            cells = Array(repeating: .blank, count: columns)
        }

        var isBlank: Bool { cells.allSatisfy { $0.text.isEmpty } }

        /// The row as text: blanks as spaces, the second halves of wide characters left out.
        func text() -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(cells.count)
            for cell in cells where cell.width != 0 {
                if cell.text.isEmpty { bytes.append(0x20) } else { bytes.append(contentsOf: cell.text.utf8) }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    struct SavedCursor: Sendable {
        var row = 0
        var column = 0
        var pendingWrap = false
        var originMode = false
        var graphics: (g0: Bool, g1: Bool) = (false, false)
        var shifted = false
    }

    /// Bytes of transcript text (plus 32 a line) collected before further lines are dropped.
    public static let defaultHistoryBudget = 64 << 20

    public private(set) var size: AsciicastSize
    public var columns: Int { size.columns }
    public var rows: Int { size.rows }

    var grid: [Row]
    /// The screen not shown: the main one while the alternate is shown, and the other way round.
    var otherGrid: [Row]
    public private(set) var isAlternateScreenActive = false
    var row = 0
    var column = 0
    /// The cursor is past the last column: the next character goes to the next row (xterm).
    var pendingWrap = false
    var scrollTop = 0
    var scrollBottom: Int
    var autowrap = true
    var originMode = false
    var insertMode = false
    var graphics: (g0: Bool, g1: Bool) = (false, false)
    var shifted = false
    var savedMain = SavedCursor()
    var savedAlternate = SavedCursor()
    var lastPrinted: Unicode.Scalar?
    var now = AsciicastTime.zero

    var parser = TerminalParser()
    private var decoder = UTF8LossyDecoder()
    var collector = TranscriptCollector()
    private var historyBudget: Int
    public private(set) var omittedLines = 0

    public init(size: AsciicastSize, historyBudget: Int = TerminalScreen.defaultHistoryBudget) {
        self.size = size
        self.historyBudget = historyBudget
        grid = Array(repeating: Row(columns: size.columns), count: size.rows)
        otherGrid = grid
        scrollBottom = size.rows - 1
    }

    /// Where the next character goes.
    public var cursor: Position { Position(row: row, column: column) }

    /// The screen as shown, a string per row, trailing spaces trimmed.
    public var screenLines: [String] {
        grid.map { TranscriptCollector.trimmingTrailingSpaces($0.text()) }
    }

    /// Output as text, as it is in an event.
    public mutating func feed(_ text: String, at time: AsciicastTime) {
        now = max(now, time)
        for scalar in text.unicodeScalars { consume(scalar) }
    }

    /// Output as the pty's bytes, decoded as the stream encoder decodes them; a character cut
    /// between two calls is completed by the next.
    public mutating func feed(_ bytes: some Sequence<UInt8>, at time: AsciicastTime) {
        now = max(now, time)
        var decoder = self.decoder
        for byte in bytes { decoder.decode(byte) { consume($0) } }
        self.decoder = decoder
    }

    /// The lines collected since the last call (see the type's documentation for which).
    public mutating func takeHistory() -> [TranscriptLine] {
        collector.take()
    }

    /// Ends the session: what is left of a cut character, then the alternate screen's lines if it
    /// is shown, then the main screen's, after every line collected and not yet taken. The
    /// screen itself is left as it is.
    public mutating func finish() -> [TranscriptLine] {
        var decoder = self.decoder
        decoder.finish { consume($0) }
        self.decoder = decoder
        dump(grid)
        if isAlternateScreenActive { dump(otherGrid) }
        return collector.take()
    }

    // MARK: Collecting lines

    /// A row leaving the screen by scrolling: kept even when blank.
    mutating func recordScrolled(_ row: Row) {
        record(row, keepIfEmpty: true)
    }

    /// The non-empty rows of a screen that is wiped or left.
    mutating func dump(_ rows: some Sequence<Row>) {
        for row in rows { record(row, keepIfEmpty: false) }
        collector.close()
    }

    private mutating func record(_ row: Row, keepIfEmpty: Bool) {
        let untrimmed = row.text()
        let text = TranscriptCollector.trimmingTrailingSpaces(untrimmed)
        let cost = (row.wrapped ? untrimmed : text).utf8.count + 32
        guard cost <= historyBudget else {
            if keepIfEmpty || !text.isEmpty { omittedLines += 1 }
            return
        }
        let before = collector.lines.count
        collector.add(text, untrimmed: untrimmed, time: row.time ?? now, wrapped: row.wrapped, keepIfEmpty: keepIfEmpty)
        if collector.lines.count != before || row.wrapped { historyBudget -= cost }
    }

    // MARK: Characters

    mutating func consume(_ scalar: Unicode.Scalar) {
        guard let action = parser.next(scalar) else { return }
        switch action {
        case .print(let scalar): print(scalar)
        case .control(let byte): control(byte)
        case .escape(let final, let intermediate): escape(final: final, intermediate: intermediate)
        case .controlSequence(let final, let marker, let intermediate):
            controlSequence(final: final, marker: marker, intermediate: intermediate)
        }
    }

    /// Each ASCII character as a String, made once rather than for every character printed.
    static let asciiText: [String] = (0..<128).map { String(Character(Unicode.Scalar(UInt8($0)))) }

    /// DEC Special Graphics for 0x60...0x7E (VT100 User Guide, table 3-9).
    static let lineDrawing: [Unicode.Scalar] = Array("◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·".unicodeScalars)

    mutating func print(_ printed: Unicode.Scalar) {
        var scalar = printed
        if shifted ? graphics.g1 : graphics.g0 {
            if scalar.value == 0x5F {
                scalar = "\u{A0}"
            } else if scalar.value >= 0x60, Int(scalar.value - 0x60) < Self.lineDrawing.count {
                scalar = Self.lineDrawing[Int(scalar.value - 0x60)]
            }
        }
        var width = CharacterWidth.of(scalar)
        if width == 2 && columns < 2 { width = 1 }
        if width == 0 { return combine(scalar) }
        if pendingWrap { wrapToNextRow() }
        if width == 2 && column == columns - 1 {
            guard autowrap else { return }
            wrapToNextRow()
        }
        if insertMode { insertCells(width) }
        clearWide(at: column)
        if width == 2 { clearWide(at: column + 1) }
        let text = scalar.value < 0x80 ? Self.asciiText[Int(scalar.value)] : String(Character(scalar))
        grid[row].cells[column] = Cell(text: text, width: UInt8(width))
        if width == 2 { grid[row].cells[column + 1] = .continuation }
        touch(row)
        lastPrinted = scalar
        let next = column + width
        if next >= columns {
            column = columns - 1
            pendingWrap = autowrap
        } else {
            column = next
        }
    }

    /// A combining mark joins the character last written, if there is room left in its cell.
    mutating func combine(_ scalar: Unicode.Scalar) {
        var target: Int
        if pendingWrap {
            target = column
        } else if column > 0 {
            target = column - 1
        } else {
            return
        }
        if grid[row].cells[target].width == 0, target > 0 { target -= 1 }
        var cell = grid[row].cells[target]
        if cell.text.isEmpty { cell.text = " " }
        guard cell.text.utf8.count + scalar.utf8.count <= Cell.maximumTextLength else { return }
        cell.text.unicodeScalars.append(scalar)
        grid[row].cells[target] = cell
        touch(row)
    }

    private mutating func wrapToNextRow() {
        grid[row].wrapped = true
        column = 0
        pendingWrap = false
        lineFeed()
    }

    /// Before a cell is written: the other half of a wide character it belongs to is blanked.
    private mutating func clearWide(at index: Int) {
        guard index < columns else { return }
        switch grid[row].cells[index].width {
        case 0 where index > 0: grid[row].cells[index - 1] = .blank
        case 2 where index + 1 < columns: grid[row].cells[index + 1] = .blank
        default: break
        }
    }

    /// Blanks half-characters left without their other half by a shift or a cut.
    mutating func repairWide(_ index: Int) {
        var cells = grid[index].cells
        for position in cells.indices {
            switch cells[position].width {
            case 2 where position + 1 == cells.count || cells[position + 1].width != 0: cells[position] = .blank
            case 0 where position == 0 || cells[position - 1].width != 2: cells[position] = .blank
            default: break
            }
        }
        grid[index].cells = cells
    }

    mutating func touch(_ index: Int) {
        grid[index].time = now
    }

    // MARK: Moving and scrolling

    mutating func lineFeed() {
        pendingWrap = false
        if row == scrollBottom {
            scrollUp(1)
        } else if row < rows - 1 {
            row += 1
        }
    }

    mutating func reverseIndex() {
        pendingWrap = false
        if row == scrollTop {
            scrollDown(1)
        } else if row > 0 {
            row -= 1
        }
    }

    /// Scrolls the region up: rows leave at its top (into the transcript when the region starts
    /// at the top of the screen), blank rows come in at its bottom.
    mutating func scrollUp(_ count: Int, from top: Int? = nil) {
        let top = top ?? scrollTop
        let bottom = scrollBottom
        guard top <= bottom else { return }
        let count = min(max(count, 1), bottom - top + 1)
        if top == 0 {
            for index in 0..<count { recordScrolled(grid[index]) }
        }
        // Rows are moved in place, not copied: this runs for every line a `cat` prints.
        grid.removeSubrange(top..<(top + count))
        grid.insert(contentsOf: repeatElement(Row(columns: columns), count: count), at: bottom + 1 - count)
    }

    /// Deletes rows at `top` of the region without recording them (DL).
    mutating func deleteRows(_ count: Int, at top: Int) {
        let bottom = scrollBottom
        guard top <= bottom else { return }
        let count = min(max(count, 1), bottom - top + 1)
        grid.removeSubrange(top..<(top + count))
        grid.insert(contentsOf: repeatElement(Row(columns: columns), count: count), at: bottom + 1 - count)
    }

    /// Scrolls the region down from `top`: blank rows come in there, rows leave at its bottom.
    mutating func scrollDown(_ count: Int, from top: Int? = nil) {
        let top = top ?? scrollTop
        let bottom = scrollBottom
        guard top <= bottom else { return }
        let count = min(max(count, 1), bottom - top + 1)
        grid.removeSubrange((bottom + 1 - count)...bottom)
        grid.insert(contentsOf: repeatElement(Row(columns: columns), count: count), at: top)
    }

    mutating func moveTo(row newRow: Int, column newColumn: Int) {
        pendingWrap = false
        let (low, high) = originMode ? (scrollTop, scrollBottom) : (0, rows - 1)
        let target = (originMode ? scrollTop : 0) + newRow
        row = min(max(target, low), high)
        column = min(max(newColumn, 0), columns - 1)
    }

    mutating func moveUp(_ count: Int) {
        pendingWrap = false
        let limit = row >= scrollTop ? scrollTop : 0
        row = max(limit, row - count)
    }

    mutating func moveDown(_ count: Int) {
        pendingWrap = false
        let limit = row <= scrollBottom ? scrollBottom : rows - 1
        row = min(limit, row + count)
    }

    mutating func moveColumn(to newColumn: Int) {
        pendingWrap = false
        column = min(max(newColumn, 0), columns - 1)
    }

    mutating func tab(_ count: Int) {
        pendingWrap = false
        for _ in 0..<min(count, columns) { column = min((column / 8 + 1) * 8, columns - 1) }
    }

    mutating func backTab(_ count: Int) {
        pendingWrap = false
        for _ in 0..<min(count, columns) { column = max(((column - 1) / 8) * 8, 0) }
    }

    // MARK: Erasing and editing

    /// Blanks cells `from..<to` of row `index`.
    mutating func erase(row index: Int, from: Int, to: Int) {
        let from = max(0, from)
        let to = min(columns, to)
        guard from < to else { return }
        for position in from..<to { grid[index].cells[position] = .blank }
        if from == 0 && to == columns { grid[index].wrapped = false }
        repairWide(index)
        touch(index)
    }

    /// ED: on the main screen the rows wiped whole are first collected, if not blank.
    mutating func eraseDisplay(_ mode: Int) {
        pendingWrap = false
        let wiped: Range<Int>
        switch mode {
        case 0: wiped = (column == 0 ? row : row + 1)..<rows
        case 1: wiped = 0..<(column == columns - 1 ? row + 1 : row)
        case 2: wiped = 0..<rows
        default: return
        }
        if !isAlternateScreenActive {
            // A line wrapped into the top row from one scrolled off still joins it.
            if wiped.lowerBound > 0 { collector.close() }
            dump(grid[wiped])
        }
        for index in wiped where !grid[index].isBlank || grid[index].wrapped { erase(row: index, from: 0, to: columns) }
        switch mode {
        case 0: erase(row: row, from: column, to: columns)
        case 1: erase(row: row, from: 0, to: column + 1)
        default: break
        }
    }

    mutating func eraseLine(_ mode: Int) {
        switch mode {
        case 0: erase(row: row, from: column, to: columns)
        case 1: erase(row: row, from: 0, to: column + 1)
        case 2: erase(row: row, from: 0, to: columns)
        default: break
        }
    }

    mutating func insertCells(_ count: Int) {
        let count = min(max(count, 1), columns - column)
        var cells = grid[row].cells
        cells.insert(contentsOf: repeatElement(Cell.blank, count: count), at: column)
        cells.removeLast(count)
        grid[row].cells = cells
        repairWide(row)
        touch(row)
    }

    mutating func deleteCells(_ count: Int) {
        let count = min(max(count, 1), columns - column)
        var cells = grid[row].cells
        cells.removeSubrange(column..<(column + count))
        cells.append(contentsOf: repeatElement(Cell.blank, count: count))
        grid[row].cells = cells
        repairWide(row)
        touch(row)
    }

    // MARK: Screens and sizes

    mutating func saveCursor() {
        let saved = SavedCursor(row: row, column: column, pendingWrap: pendingWrap, originMode: originMode, graphics: graphics, shifted: shifted)
        if isAlternateScreenActive { savedAlternate = saved } else { savedMain = saved }
    }

    mutating func restoreCursor() {
        let saved = isAlternateScreenActive ? savedAlternate : savedMain
        row = min(saved.row, rows - 1)
        column = min(saved.column, columns - 1)
        // A wrap saved at the last column of a narrower screen is no longer pending.
        pendingWrap = saved.pendingWrap && autowrap && column == columns - 1 && saved.column == column
        originMode = saved.originMode
        graphics = saved.graphics
        shifted = saved.shifted
    }

    mutating func enterAlternateScreen(clearing: Bool) {
        guard !isAlternateScreenActive else {
            if clearing { blank(&grid) }
            return
        }
        collector.close()
        swap(&grid, &otherGrid)
        isAlternateScreenActive = true
        if clearing { blank(&grid) }
    }

    /// Leaving the alternate screen collects what it showed, as it was left.
    mutating func leaveAlternateScreen(clearing: Bool) {
        guard isAlternateScreenActive else { return }
        dump(grid)
        if clearing { blank(&grid) }
        swap(&grid, &otherGrid)
        isAlternateScreenActive = false
    }

    private func blank(_ rows: inout [Row]) {
        rows = Array(repeating: Row(columns: columns), count: self.rows)
    }

    /// RIS: the screens are collected as when they are wiped, then everything is as at the start.
    mutating func reset() {
        leaveAlternateScreen(clearing: true)
        dump(grid)
        blank(&grid)
        blank(&otherGrid)
        (row, column, pendingWrap) = (0, 0, false)
        (scrollTop, scrollBottom) = (0, rows - 1)
        softReset()
        savedMain = SavedCursor()
        savedAlternate = SavedCursor()
        lastPrinted = nil
    }

    /// DECSTR: modes back to their defaults, the screen kept.
    mutating func softReset() {
        autowrap = true
        originMode = false
        insertMode = false
        graphics = (false, false)
        shifted = false
        (scrollTop, scrollBottom) = (0, rows - 1)
    }

    /// A new terminal size. Rows above the cursor that no longer fit leave the shown screen into
    /// the transcript (as a terminal pushes them into its scrollback); rows below it are cut and,
    /// if not blank, collected. Narrower rows are cut, wider ones padded: no reflow.
    public mutating func resize(to newSize: AsciicastSize, at time: AsciicastTime) {
        now = max(now, time)
        guard newSize != size else { return }
        let overflow = max(0, row + 1 - newSize.rows)
        if overflow > 0 {
            for index in 0..<overflow { recordScrolled(grid[index]) }
            grid.removeFirst(overflow)
            otherGrid.removeFirst(min(overflow, otherGrid.count))
            row -= overflow
        }
        if grid.count > newSize.rows {
            collector.close()
            dump(grid[newSize.rows...])
            grid.removeLast(grid.count - newSize.rows)
        }
        if otherGrid.count > newSize.rows { otherGrid.removeLast(otherGrid.count - newSize.rows) }
        size = newSize
        grid = Self.fitted(grid, to: newSize)
        otherGrid = Self.fitted(otherGrid, to: newSize)
        for index in grid.indices { repairWide(index) }
        swap(&grid, &otherGrid)
        for index in grid.indices { repairWide(index) }
        swap(&grid, &otherGrid)
        row = min(row, rows - 1)
        column = min(column, columns - 1)
        pendingWrap = false
        (scrollTop, scrollBottom) = (0, rows - 1)
    }

    private static func fitted(_ rows: [Row], to size: AsciicastSize) -> [Row] {
        var fitted = rows.map { old -> Row in
            var row = old
            if row.cells.count > size.columns {
                row.cells.removeLast(row.cells.count - size.columns)
                row.wrapped = false
            } else if row.cells.count < size.columns {
                row.cells.append(contentsOf: repeatElement(Cell.blank, count: size.columns - row.cells.count))
            }
            return row
        }
        while fitted.count < size.rows { fitted.append(Row(columns: size.columns)) }
        return fitted
    }

    /// What is wrong with the screen's state, if anything: for tests.
    func invariantViolation() -> String? {
        guard grid.count == rows, otherGrid.count == rows else { return "the screens have \(grid.count) and \(otherGrid.count) rows, not \(rows)" }
        guard (0..<rows).contains(row), (0..<columns).contains(column) else { return "the cursor \(cursor) is off a \(size) screen" }
        guard 0 <= scrollTop, scrollTop < scrollBottom || rows == 1, scrollBottom < rows else {
            return "the scroll region \(scrollTop)...\(scrollBottom) is not inside \(rows) rows"
        }
        guard !pendingWrap || column == columns - 1 else { return "a pending wrap away from the last column" }
        for (screen, rows) in [("shown", grid), ("other", otherGrid)] {
            for (index, row) in rows.enumerated() {
                guard row.cells.count == columns else { return "\(screen) row \(index) has \(row.cells.count) cells, not \(columns)" }
                for (position, cell) in row.cells.enumerated() {
                    guard cell.text.utf8.count <= Cell.maximumTextLength else { return "a cell holds \(cell.text.utf8.count) bytes" }
                    switch cell.width {
                    case 2 where position + 1 == columns || row.cells[position + 1].width != 0:
                        return "\(screen) row \(index): a wide character at \(position) without its second half"
                    case 0 where position == 0 || row.cells[position - 1].width != 2:
                        return "\(screen) row \(index): a second half at \(position) without its first"
                    case 0, 1, 2: continue
                    default: return "a cell of width \(cell.width)"
                    }
                }
            }
        }
        return nil
    }
}
