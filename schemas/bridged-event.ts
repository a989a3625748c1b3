import type { EventEnvelope } from './envelope';

/** Where an event sits in Kafka; travels into workflow memo, search attributes and the decision record. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

/** The input of every workflow the bridge starts: the validated, upcast envelope plus its Kafka coordinates. */
export interface BridgedEvent<T> {
  envelope: EventEnvelope<T>;
  kafka: KafkaCoordinates;
}
