import Foundation
import Testing

@testable import RacecarConfiguration
@testable import RacecarKafka
@testable import RacecarPluginHosting
@testable import RacecarRuntime

@Suite struct ConfigLoaderTests {
    let echo = ConsumerDefaults.forTesting(name: "EchoConsumer", topics: ["events"])

    func write(_ yaml: String) -> String {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        return path
    }

    @Test func defaultsApplyWithoutAFile() throws {
        let loader = ConfigLoader(configPath: emptyConfigFile, environmentName: nil, environment: [:])
        let (config, _) = try loader.load(for: echo)
        #expect(config.brokers == ["localhost:9092"])
        #expect(config.fetchMessages == 1000)
        #expect(config.pauseTimeout == .seconds(10))
        #expect(config.subscribesTo == ["events"])
        #expect(config.sources[.subscribesTo] == .plugin)
    }

    @Test func environmentSectionOverridesCommonAndConsumerSectionOverridesBoth() throws {
        let path = write(
            """
            common:
              brokers: [common:9092]
              fetch_messages: 10
              client_id: common
            production:
              fetch_messages: 20
              EchoConsumer:
                fetch_messages: 30
                subscribes_to: [audit]
            """)
        let loader = ConfigLoader(configPath: path, environmentName: "production", environment: [:])
        let (config, _) = try loader.load(for: echo)
        #expect(config.brokers == ["common:9092"])
        #expect(config.clientID == "common")
        #expect(config.fetchMessages == 30)
        #expect(config.subscribesTo == ["audit"])
        #expect(config.sources[.fetchMessages] == .file(path: path, line: 8))
    }

    @Test func environmentVariablesOverrideTheFile() throws {
        let path = write("common:\n  brokers: [file:9092]\n")
        let loader = ConfigLoader(
            configPath: path,
            environmentName: "common",
            environment: ["RACECAR_BROKERS": "a:1, b:2", "RACECAR_PAUSE_TIMEOUT": "-1"]
        )
        let (config, _) = try loader.load(for: echo)
        #expect(config.brokers == ["a:1", "b:2"])
        #expect(config.pauseTimeout == .seconds(-1))
        #expect(config.sources[.brokers] == .environment(variable: "RACECAR_BROKERS"))
    }

    @Test func environmentIsChosenByRacecarEnvThenDevelopment() throws {
        let path = write("development:\n  client_id: dev\nstaging:\n  client_id: stage\n")
        let fromVariable = ConfigLoader(configPath: path, environmentName: nil, environment: ["RACECAR_ENV": "staging"])
        #expect(try fromVariable.load(for: echo).config.clientID == "stage")
        let byDefault = ConfigLoader(configPath: path, environmentName: nil, environment: [:])
        #expect(try byDefault.load(for: echo).config.clientID == "dev")
    }

    @Test func missingEnvironmentSectionListsTheSections() throws {
        let path = write("common:\n  client_id: x\nproduction:\n  client_id: y\n")
        let loader = ConfigLoader(configPath: path, environmentName: "staging", environment: [:])
        #expect(throws: ConfigError.missingEnvironment(environment: "staging", path: path, available: ["production"])) {
            try loader.load(for: echo)
        }
    }

    @Test func unknownKeySuggestsTheClosestOne() throws {
        let path = write("development:\n  fetch_mesages: 5\n")
        let loader = ConfigLoader(configPath: path, environmentName: nil, environment: [:])
        #expect(
            throws: ConfigError.unknownKey(
                key: "fetch_mesages", source: .file(path: path, line: 2), suggestion: "fetch_messages")
        ) {
            try loader.load(for: echo)
        }
    }

    @Test func invalidValueNamesSourceKeyAndExpectation() throws {
        let path = write("development:\n  offset_commit_interval: soon\n")
        let loader = ConfigLoader(configPath: path, environmentName: nil, environment: [:])
        #expect(throws: ConfigError.self) { try loader.load(for: echo) }
        do {
            _ = try loader.load(for: echo)
        } catch {
            #expect(
                error.description
                    == "\(path):2: invalid value `soon` for `offset_commit_interval`: expected a number of seconds greater than 0"
            )
        }
    }

    @Test func malformedYAMLReportsLineAndColumn() throws {
        let path = write("development:\n  brokers: [a\n  client_id: x\n")
        let loader = ConfigLoader(configPath: path, environmentName: nil, environment: [:])
        do {
            _ = try loader.load(for: echo)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("\(path): line "))
            #expect(error.description.contains("column"))
        }
    }

    @Test func unknownRacecarVariableIsAWarningNotAnError() throws {
        let loader = ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: ["RACECAR_BROKER": "x:1"])
        let (_, warnings) = try loader.load(for: echo)
        #expect(warnings == ["ignoring unknown environment variable RACECAR_BROKER; did you mean RACECAR_BROKERS?"])
    }

    @Test func socketTimeoutMustExceedMaxWaitTime() throws {
        let loader = ConfigLoader(
            configPath: nil,
            environmentName: nil,
            environment: ["RACECAR_SOCKET_TIMEOUT": "1", "RACECAR_MAX_WAIT_TIME": "2"]
        )
        #expect(throws: ConfigError.self) { try loader.load(for: echo) }
    }

    @Test func variablesAreSubstitutedInValues() throws {
        let path = write("development:\n  brokers: [\"${KAFKA_HOST}:9092\"]\n  client_id: ${CLIENT:-fallback}\n")
        let loader = ConfigLoader(configPath: path, environmentName: nil, environment: ["KAFKA_HOST": "kafka1"])
        let (config, _) = try loader.load(for: echo)
        #expect(config.brokers == ["kafka1:9092"])
        #expect(config.clientID == "fallback")
    }

    @Test func mergeKeysAndAnchorsWork() throws {
        let path = write(
            """
            common: &base
              client_id: shared
              fetch_messages: 7
            development:
              <<: *base
              fetch_messages: 8
            """)
        let loader = ConfigLoader(configPath: path, environmentName: nil, environment: [:])
        let (config, _) = try loader.load(for: echo)
        #expect(config.clientID == "shared")
        #expect(config.fetchMessages == 8)
    }
}

extension ConsumerDefaults {
    static func forTesting(name: String, topics: [String]) -> ConsumerDefaults {
        ConsumerDefaults(name: name, subscriptions: topics.map { .init(topic: $0, startFromBeginning: true) })
    }
}

/// An empty racecar.yml, so that tests never read the repository's own.
let emptyConfigFile: String = {
    let path = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
    _ = FileManager.default.createFile(atPath: path, contents: Data())
    return path
}()
