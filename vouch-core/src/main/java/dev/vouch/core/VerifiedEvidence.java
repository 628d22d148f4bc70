package dev.vouch.core;

/** Evidence that passed every check of its verifier, with the claims it supports. */
public record VerifiedEvidence(Tee tee, Claims claims) {}
