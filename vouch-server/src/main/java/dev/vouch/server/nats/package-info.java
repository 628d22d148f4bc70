/**
 * NATS authentication: the operator and account the server signs its own and enrolled agents' user
 * credentials with (decentralized JWT), each agent confined to its own host's subjects.
 */
package dev.vouch.server.nats;
