package dev.rabbitrpc.examples.streaming;

/** One order, as the stream carries it. */
public record Order(long id, String customer, long cents) {}
