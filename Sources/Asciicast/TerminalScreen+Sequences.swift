/// What each control, escape and control sequence does to the screen (ECMA-48 and the xterm
/// control sequences document); anything not listed here is read and ignored.
extension TerminalScreen {
    mutating func control(_ byte: UInt8) {
        switch byte {
        case 0x08:
            pendingWrap = false
            column = max(0, column - 1)
        case 0x09: tab(1)
        case 0x0A, 0x0B, 0x0C: lineFeed()
        case 0x0D:
            pendingWrap = false
            column = 0
        case 0x0E: shifted = true
        case 0x0F: shifted = false
        default: break
        }
    }

    mutating func escape(final: UInt8, intermediate: UInt8) {
        switch (intermediate, final) {
        case (0, UInt8(ascii: "7")): saveCursor()
        case (0, UInt8(ascii: "8")): restoreCursor()
        case (0, UInt8(ascii: "D")): lineFeed()
        case (0, UInt8(ascii: "E")):
            column = 0
            lineFeed()
        case (0, UInt8(ascii: "M")): reverseIndex()
        case (0, UInt8(ascii: "c")): reset()
        case (UInt8(ascii: "("), _): graphics.g0 = final == UInt8(ascii: "0")
        case (UInt8(ascii: ")"), _): graphics.g1 = final == UInt8(ascii: "0")
        case (UInt8(ascii: "#"), UInt8(ascii: "8")): alignmentPattern()
        default: break
        }
    }

    /// DECALN: the screen filled with E, the margins reset, the cursor home.
    private mutating func alignmentPattern() {
        for index in grid.indices {
            grid[index].cells = Array(repeating: Cell(text: "E", width: 1), count: columns)
            grid[index].wrapped = false
            touch(index)
        }
        (scrollTop, scrollBottom) = (0, rows - 1)
        originMode = false
        moveTo(row: 0, column: 0)
    }

    mutating func controlSequence(final: UInt8, marker: UInt8, intermediate: UInt8) {
        if intermediate != 0 {
            // DECSTR is the one sequence with an intermediate that changes what is shown.
            if intermediate == UInt8(ascii: "!"), final == UInt8(ascii: "p"), marker == 0 { softReset() }
            return
        }
        if marker == UInt8(ascii: "?") {
            switch final {
            case UInt8(ascii: "h"): setPrivateModes(true)
            case UInt8(ascii: "l"): setPrivateModes(false)
            case UInt8(ascii: "J"): eraseDisplay(parser.rawParameter(0))
            case UInt8(ascii: "K"): eraseLine(parser.rawParameter(0))
            default: break
            }
            return
        }
        guard marker == 0 else { return }
        let count = parser.parameter(0, default: 1)
        switch final {
        case UInt8(ascii: "A"): moveUp(count)
        case UInt8(ascii: "B"), UInt8(ascii: "e"): moveDown(count)
        case UInt8(ascii: "C"), UInt8(ascii: "a"): moveColumn(to: column + count)
        case UInt8(ascii: "D"): moveColumn(to: column - count)
        case UInt8(ascii: "E"):
            moveDown(count)
            column = 0
        case UInt8(ascii: "F"):
            moveUp(count)
            column = 0
        case UInt8(ascii: "G"), UInt8(ascii: "`"): moveColumn(to: count - 1)
        case UInt8(ascii: "H"), UInt8(ascii: "f"):
            moveTo(row: parser.parameter(0, default: 1) - 1, column: parser.parameter(1, default: 1) - 1)
        case UInt8(ascii: "d"):
            moveTo(row: count - 1, column: column)
        case UInt8(ascii: "I"): tab(count)
        case UInt8(ascii: "Z"): backTab(count)
        case UInt8(ascii: "J"): eraseDisplay(parser.rawParameter(0))
        case UInt8(ascii: "K"): eraseLine(parser.rawParameter(0))
        case UInt8(ascii: "@"):
            pendingWrap = false
            insertCells(count)
        case UInt8(ascii: "P"):
            pendingWrap = false
            deleteCells(count)
        case UInt8(ascii: "X"):
            pendingWrap = false
            erase(row: row, from: column, to: column + count)
        case UInt8(ascii: "L"):
            guard row >= scrollTop, row <= scrollBottom else { return }
            scrollDown(count, from: row)
            moveColumn(to: 0)
        case UInt8(ascii: "M"):
            guard row >= scrollTop, row <= scrollBottom else { return }
            deleteRows(count, at: row)
            moveColumn(to: 0)
        case UInt8(ascii: "S"): scrollUp(count)
        case UInt8(ascii: "T"):
            // With more than one parameter this is xterm's mouse highlight tracking, not SD.
            if parser.parameterCount <= 1 { scrollDown(count) }
        case UInt8(ascii: "b"):
            // REP: at most a screenful, however large the count.
            guard let scalar = lastPrinted else { return }
            for _ in 0..<min(count, columns * rows) { print(scalar) }
        case UInt8(ascii: "r"):
            let top = parser.parameter(0, default: 1) - 1
            let bottom = min(parser.parameter(1, default: rows), rows) - 1
            guard top < bottom else { return }
            (scrollTop, scrollBottom) = (top, bottom)
            moveTo(row: 0, column: 0)
        case UInt8(ascii: "s"): saveCursor()
        case UInt8(ascii: "u"): restoreCursor()
        case UInt8(ascii: "h"), UInt8(ascii: "l"):
            for index in 0..<max(parser.parameterCount, 1) where parser.rawParameter(index) == 4 {
                insertMode = final == UInt8(ascii: "h")
            }
        default: break
        }
    }

    /// DEC private modes (`CSI ? … h/l`) that change what is shown.
    private mutating func setPrivateModes(_ on: Bool) {
        for index in 0..<max(parser.parameterCount, 1) {
            switch parser.rawParameter(index) {
            case 6:
                originMode = on
                moveTo(row: 0, column: 0)
            case 7:
                autowrap = on
                if !on { pendingWrap = false }
            case 47:
                if on { enterAlternateScreen(clearing: false) } else { leaveAlternateScreen(clearing: false) }
            case 1047:
                if on { enterAlternateScreen(clearing: false) } else { leaveAlternateScreen(clearing: true) }
            case 1048:
                if on { saveCursor() } else { restoreCursor() }
            case 1049:
                if on {
                    if !isAlternateScreenActive { saveCursor() }
                    enterAlternateScreen(clearing: true)
                } else if isAlternateScreenActive {
                    leaveAlternateScreen(clearing: false)
                    restoreCursor()
                }
            default: break
            }
        }
    }
}
