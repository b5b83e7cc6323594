import Foundation
import Mustache

/// The reviewer pages' templates, loaded once at start from the module's resources. A template
/// that is missing or does not parse stops the gateway from starting, rather than failing a
/// reviewer in the middle of an approval.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    public init() async throws(WebResourceError) {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw WebResourceError.missing("templates")
        }
        let library: MustacheLibrary
        do {
            library = try await MustacheLibrary(directory: directory.path)
        } catch let error as MustacheLibrary.ParserError {
            throw WebResourceError.template(error.filename, line: error.context.lineNumber)
        } catch {
            throw WebResourceError.missing("templates")
        }
        for template in PageTemplate.allCases where library.getTemplate(named: template.rawValue) == nil {
            throw WebResourceError.missing("templates/\(template.rawValue).mustache")
        }
        self.library = library
    }

    /// Every value is HTML-escaped by the templates (`{{…}}`); none uses the unescaped form.
    public func render(_ page: some Page) -> String {
        library.render(page, withTemplate: type(of: page).template.rawValue) ?? ""
    }
}

/// The templates a page can be rendered with; each is checked for at start.
public enum PageTemplate: String, CaseIterable, Sendable {
    case login
    case reviews
    case reviewList = "review-list"
    case request
    case requestList = "request-list"
    case keys
    case error
}

/// A page model: the values one template shows, and which template that is.
public protocol Page: Sendable {
    static var template: PageTemplate { get }
}

public enum WebResourceError: Error, CustomStringConvertible {
    case missing(String)
    case template(String, line: Int)

    public var description: String {
        switch self {
        case .missing(let name): "the web resources are incomplete: \(name) is missing"
        case .template(let name, let line): "the web template \(name) does not parse (line \(line))"
        }
    }
}
