import Foundation
import Mustache

/// The web app's files: Mustache templates (read once at start) and the dictionaries they and the
/// JavaScript modules share. Static files are served from `root/static` on every request.
struct WebAssets: Sendable {
    static let languages = ["zh-CN", "en"]
    static let defaultLanguage = "zh-CN"

    let root: String
    let library: MustacheLibrary
    /// Language → key → text, the page and app dictionaries merged (page keys win).
    let dictionaries: [String: [String: String]]

    static func load(root: String) async throws -> WebAssets {
        let templates = root + "/templates"
        guard FileManager.default.fileExists(atPath: templates) else { throw WebAssetsError.missing(templates) }
        let library = try await MustacheLibrary(directory: templates)
        var dictionaries: [String: [String: String]] = [:]
        for lang in languages {
            var merged: [String: String] = [:]
            for name in ["app", "pages"] {
                let path = "\(root)/static/i18n/\(name).\(lang).json"
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
                    throw WebAssetsError.badDictionary(path)
                }
                merged.merge(obj) { _, new in new }
            }
            dictionaries[lang] = merged
        }
        return WebAssets(root: root, library: library, dictionaries: dictionaries)
    }

    /// The bundled copy, used unless `web_root` points elsewhere.
    static var bundledRoot: String? {
        Bundle.module.url(forResource: "web", withExtension: nil, subdirectory: "Resources")?.path
    }

    func dictionary(_ lang: String) -> [String: String] { dictionaries[lang] ?? dictionaries[Self.defaultLanguage] ?? [:] }

    /// A text from the dictionary with `{name}` placeholders filled; the key itself when missing, so a
    /// gap shows up on screen instead of an empty space.
    func text(_ key: String, lang: String, _ vars: [String: String] = [:]) -> String {
        var s = dictionary(lang)[key] ?? key
        for (k, v) in vars { s = s.replacingOccurrences(of: "{\(k)}", with: v) }
        return s
    }

    func render(_ template: String, _ context: [String: Any]) throws -> String {
        guard let html = library.render(context, withTemplate: template) else { throw WebAssetsError.noTemplate(template) }
        return html
    }
}

enum WebAssetsError: Error, CustomStringConvertible {
    case missing(String), badDictionary(String), noTemplate(String)
    var description: String {
        switch self {
        case .missing(let p): "web templates not found at \(p) (set web_root)"
        case .badDictionary(let p): "\(p) is not a JSON object of strings"
        case .noTemplate(let t): "no template named \(t)"
        }
    }
}
