/// Why a reload asked for over the endpoint did not swap the new version in.
struct ReloadFailed: Error, CustomStringConvertible {
    let description: String
}
