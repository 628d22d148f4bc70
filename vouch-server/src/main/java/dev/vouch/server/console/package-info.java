/** The web console: static assets served at {@code /console} that call the JSON API. */
package dev.vouch.server.console;
