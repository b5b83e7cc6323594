/// The headers every page and fragment carries. The policy allows scripts and styles only from
/// the gateway itself and no inline code, and forbids framing: an approve button inside someone
/// else's page is the clickjacking this product cannot afford.
public enum WebSecurityHeaders {
    public static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
        "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// (name, value) pairs, in the order they are written.
    public static let page: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
}
