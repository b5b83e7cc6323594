extension RequestQuery {
    /// The search text as a LIKE pattern (`%text%`, escaped with `\`) where the text's own `%`,
    /// `_` and `\` match literally; nil when there is no search. Every backend matches it against
    /// the same columns, with `ESCAPE '\'`, case-insensitively for ASCII only.
    public var searchPattern: String? {
        search.map { text in
            var escaped = ""
            for character in text {
                if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return "%\(escaped)%"
        }
    }
}
