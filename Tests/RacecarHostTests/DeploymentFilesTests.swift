import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing
import Yams

/// What a new user copies first: the deployment examples in `examples/deploy` and the README's
/// racecar.yml. They must parse, do what the README says, and load with the host's own loader.
@Suite struct DeploymentFilesTests {
    static let deploy = TestPaths.repository.appendingPathComponent("examples/deploy")
    static let unitPath = deploy.appendingPathComponent("racecar-host@.service").path
    static let systemdAnalyze = executableOnPath("systemd-analyze")

    // MARK: Kubernetes

    @Test func kubernetesDeploymentProbesTheHTTPEndpointAndIsScrapedByPrometheus() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes.yml"), encoding: .utf8)
        let deployment = try YAMLDecoder().decode(Deployment.self, from: text)
        #expect(deployment.apiVersion == "apps/v1")
        #expect(deployment.kind == "Deployment")
        let containers = deployment.spec.template.spec.containers
        try #require(containers.count == 1)
        let container = containers[0]
        #expect(container.command.first == "racecar-host")

        let environment = Dictionary(container.env.map { ($0.name, $0) }) { first, _ in first }
        let port = try #require(environment["RACECAR_HTTP_PORT"]?.value.flatMap { Int($0) }, "the env sets http_port")
        let named = try #require(container.ports?.first { $0.containerPort == port }, "the container exposes it")
        let live = try #require(container.livenessProbe?.httpGet, "the liveness probe is an HTTP GET")
        let ready = try #require(container.readinessProbe?.httpGet, "the readiness probe is an HTTP GET")
        #expect(live.path == "/health/live" && ready.path == "/health/ready")
        #expect([live.port, ready.port].allSatisfy { $0 == named.name || $0 == String(port) })
        #expect((container.livenessProbe?.periodSeconds ?? 0) > 0, "the probe says how often it runs")

        // A non-loopback address needs the control token, or the host refuses to start (exit 78).
        let host = try #require(environment["RACECAR_HTTP_HOST"]?.value)
        #expect(!RacecarConfig.isLoopback(host), "the kubelet reaches the pod's address")
        #expect(environment["RACECAR_HTTP_CONTROL_TOKEN"]?.valueFrom?.secretKeyRef != nil, "the token is a Secret")

        let annotations = deployment.spec.template.metadata.annotations ?? [:]
        #expect(annotations["prometheus.io/scrape"] == "true")
        #expect(annotations["prometheus.io/port"] == String(port))
        #expect(annotations["prometheus.io/path"] == "/metrics")
    }

    /// Kubernetes rejects an env `value` that YAML reads as a boolean or a number (`true`,
    /// `5`): each must be a string, quoted where it looks like something else.
    @Test func kubernetesEnvironmentValuesAreStrings() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes.yml"), encoding: .utf8)
        let root = try #require(try Yams.compose(yaml: text))
        let container = try #require(root["spec"]?["template"]?["spec"]?["containers"]?[0])
        let env = try #require(container["env"]?.sequence)
        #expect(!env.isEmpty)
        for variable in env where variable["valueFrom"] == nil {
            let name = variable["name"]?.string ?? "?"
            let value = try #require(variable["value"], "\(name) has a value")
            #expect(value.tag.rawValue == Tag.Name.str.rawValue, "\(name)'s value is a YAML string, not \(value.tag)")
        }
    }

    // MARK: systemd

    @Test func systemdUnitRunsAsItsOwnUserAndDoesNotRestartABrokenConfiguration() throws {
        let unit = try SystemdUnit(contentsOf: Self.unitPath)
        #expect(unit.malformedLines.isEmpty, "every line is a comment, a [Section] or Key=Value")
        #expect(unit.sections == ["Unit", "Service", "Install"])
        #expect(unit.values("Service", "User") == ["racecar"])
        #expect(unit.values("Service", "Group") == ["racecar"])
        #expect(unit.values("Service", "Restart") == ["on-failure"])
        let preventing = unit.values("Service", "RestartPreventExitStatus").flatMap { $0.split(separator: " ") }
        #expect(preventing.contains("78"), "exit status 78 (EX_CONFIG) is not restarted")
        #expect(unit.values("Service", "ExecStart").first?.hasPrefix("/usr/local/bin/racecar-host ") == true)
        #expect(unit.values("Install", "WantedBy") == ["multi-user.target"])
    }

    /// systemd's own check, where the machine has it. `verify` insists that the executable
    /// exists, so it checks a copy whose ExecStart names the racecar-host just built;
    /// it reports unknown keys and bad values as warnings with status 0, so any output fails.
    @Test(
        .enabled(
            if: DeploymentFilesTests.systemdAnalyze != nil,
            "systemd-analyze is not installed: only the INI check above ran"))
    func systemdAnalyzeVerifyAcceptsTheUnit() async throws {
        let analyze = try #require(Self.systemdAnalyze)
        let original = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        #expect(original.contains("/usr/local/bin/racecar-host "))
        let copy = TestPaths.temporaryDirectory().appendingPathComponent("racecar-host@.service")
        try original.replacingOccurrences(of: "/usr/local/bin/racecar-host ", with: TestPaths.host + " ")
            .write(to: copy, atomically: true, encoding: .utf8)
        let result = try await HostProcess.run(["verify", copy.path], executable: analyze)
        #expect(result.status == 0, "systemd-analyze verify: \(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "systemd-analyze verify warns: \(result.stderr)")
    }

    // MARK: racecar.yml

    @Test(arguments: ["development", "production"])
    func readmeExampleConfigurationLoads(environment: String) throws {
        let readme = try String(contentsOf: TestPaths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let examples = yamlBlocks(in: readme).filter { $0.hasPrefix("common:\n") }
        try #require(examples.count == 1, "README has one racecar.yml example starting with `common:`")
        let path = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml")
        try examples[0].write(to: path, atomically: true, encoding: .utf8)
        try checkLoads(path.path, environment: environment)
    }

    @Test(arguments: ["development", "production"])
    func repositoryConfigurationLoads(environment: String) throws {
        try checkLoads(TestPaths.repository.appendingPathComponent("racecar.yml").path, environment: environment)
    }

    /// Loads `path` for EchoConsumer as racecar-host does, librdkafka's check included, and
    /// checks the fast local profile of development and the production overrides.
    private func checkLoads(_ path: String, environment: String) throws {
        let loader = ConfigLoader(
            configPath: path, environmentName: environment, environment: [:],
            clientPropertyCheck: RacecarConfig.validateClientProperties)
        let echo = ConsumerDefaults(
            name: "EchoConsumer", subscriptions: [.init(topic: "events", startFromBeginning: true)])
        let (config, warnings) = try loader.load(for: echo)
        #expect(warnings.isEmpty)
        #expect(config.brokers == ["localhost:9092"])
        switch environment {
        case "development":
            #expect(config.sessionTimeout == .seconds(6))
            #expect(config.heartbeatInterval == .seconds(2))
            #expect(config.offsetCommitInterval == .seconds(1))
            #expect(config.groupIDPrefix == nil)
        default:
            #expect(config.groupIDPrefix == "prod.")
            #expect(config.fetchMessages == 500)
            #expect(config.sessionTimeout == .seconds(30))
        }
    }
}

/// The parts of a Kubernetes Deployment these tests read.
private struct Deployment: Decodable {
    struct Spec: Decodable {
        let template: PodTemplate
    }

    struct PodTemplate: Decodable {
        struct Metadata: Decodable {
            let annotations: [String: String]?
        }

        let metadata: Metadata
        let spec: PodSpec
    }

    struct PodSpec: Decodable {
        let containers: [Container]
    }

    struct Container: Decodable {
        let command: [String]
        let env: [EnvVar]
        let ports: [Port]?
        let livenessProbe: Probe?
        let readinessProbe: Probe?
    }

    struct Port: Decodable {
        let name: String
        let containerPort: Int
    }

    struct EnvVar: Decodable {
        struct Source: Decodable {
            struct SecretKey: Decodable {
                let name: String
                let key: String
            }

            let secretKeyRef: SecretKey?
        }

        let name: String
        let value: String?
        let valueFrom: Source?
    }

    struct Probe: Decodable {
        struct HTTPGet: Decodable {
            let path: String
            /// A port's name or number, as Kubernetes takes either.
            let port: String
        }

        let httpGet: HTTPGet?
        let initialDelaySeconds: Int?
        let periodSeconds: Int?
    }

    let apiVersion: String
    let kind: String
    let spec: Spec
}

/// A systemd unit file read as systemd reads it: `[Section]` headers, `Key=Value` lines
/// (a key may repeat), `#` and `;` comments, and a trailing backslash continuing a line.
private struct SystemdUnit {
    /// Section names in the order they appear.
    private(set) var sections: [String] = []
    private var entries: [(section: String, key: String, value: String)] = []
    /// Lines that are none of the above, or keys outside any section, with their line numbers.
    private(set) var malformedLines: [String] = []

    init(contentsOf path: String) throws {
        var logicalLines: [(number: Int, text: String)] = []
        var pending: (number: Int, text: String)?
        for (index, raw) in try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
        ).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if pending == nil, line.hasPrefix("#") || line.hasPrefix(";") { continue }
            var current = pending ?? (index + 1, "")
            if line.hasSuffix("\\") {
                current.text += line.dropLast() + " "
                pending = current
                continue
            }
            current.text += line
            pending = nil
            logicalLines.append(current)
        }
        if let pending { malformedLines.append("\(pending.number): continued past the end of the file") }

        var section: String?
        for (number, line) in logicalLines where !line.isEmpty {
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast())
                sections.append(name)
                section = name
            } else if let equals = line.firstIndex(of: "="), let section {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    malformedLines.append("\(number): \(line)")
                    continue
                }
                entries.append((section, key, value))
            } else {
                malformedLines.append("\(number): \(line)")
            }
        }
    }

    /// Every value of `key` in `section`, in order.
    func values(_ section: String, _ key: String) -> [String] {
        entries.filter { $0.section == section && $0.key == key }.map(\.value)
    }
}

/// The contents of every fenced ```yaml block of a Markdown document.
private func yamlBlocks(in markdown: String) -> [String] {
    var blocks: [String] = []
    var current: [Substring]?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        if current == nil, line == "```yaml" {
            current = []
        } else if current != nil, line == "```" {
            blocks.append(current!.joined(separator: "\n") + "\n")
            current = nil
        } else {
            current?.append(line)
        }
    }
    return blocks
}

/// The path of `name` in one of `PATH`'s folders, if it is executable there.
private func executableOnPath(_ name: String) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
