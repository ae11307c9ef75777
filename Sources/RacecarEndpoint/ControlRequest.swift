import Foundation
import RacecarConfiguration

/// A control request to pause or resume one partition: the body of `POST /control/pause` and
/// `POST /control/resume`, `{"topic": "events", "partition": 0}`.
package struct ControlRequest: Sendable, Equatable {
    package enum Action: String, Sendable {
        case pause, resume
    }

    package var action: Action
    package var partition: TopicPartition

    package init(action: Action, partition: TopicPartition) {
        self.action = action
        self.partition = partition
    }

    private struct Body: Decodable {
        var topic: String
        var partition: Int32
    }

    /// Reads the request body.
    ///
    /// - Throws: ``EndpointError/malformedRequest(_:)`` naming what is wrong.
    package init(action: Action, body: Data) throws(EndpointError) {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: body)
        } catch {
            throw .malformedRequest(
                #"expected a JSON body {"topic": "<name>", "partition": <number>}, e.g. {"topic": "events", "partition": 0}"#
            )
        }
        guard !decoded.topic.isEmpty else { throw .malformedRequest("`topic` is empty") }
        guard decoded.partition >= 0 else { throw .malformedRequest("`partition` must be 0 or more") }
        self.init(action: action, partition: TopicPartition(topic: decoded.topic, partition: decoded.partition))
    }
}
