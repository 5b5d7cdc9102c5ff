package dev.orgmesh.agent.service;

import java.util.logging.Filter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

import dev.orgmesh.agent.secret.AgentSecrets;

/**
 * Keeps secret values out of the agent's log: every record's formatted message is scrubbed of the values the agent
 * holds (replaced by {@code [REDACTED:NAME]}) before any handler writes it. {@link #use} installs it on every handler
 * of the root logger (console, file), in front of the filter a handler already had.
 */
public final class SecretLogFilter implements Filter {
    private static volatile AgentSecrets secrets;
    private final Filter next;

    private SecretLogFilter(Filter next) {
        this.next = next;
    }

    /** Scrubs the values of {@code s} from every log record from now on ({@code null}: nothing to scrub). */
    public static synchronized void use(AgentSecrets s) {
        secrets = s;
        if (s == null) {
            return;
        }
        for (Handler h : Logger.getLogger("").getHandlers()) {
            if (!(h.getFilter() instanceof SecretLogFilter)) {
                h.setFilter(new SecretLogFilter(h.getFilter()));
            }
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        AgentSecrets s = secrets;
        if (s == null || s.current().isEmpty()) {
            return next == null || next.isLoggable(record);
        }
        String formatted = record instanceof ExtLogRecord ext
                ? ext.getFormattedMessage()
                : record.getMessage();
        if (formatted != null) {
            String clean = s.scrub(formatted);
            if (!clean.equals(formatted)) {
                record.setMessage(clean);
                record.setParameters(null);
                if (record instanceof ExtLogRecord ext) {
                    ext.setMessage(clean, ExtLogRecord.FormatStyle.NO_FORMAT);
                }
            }
        }
        if (record.getThrown() != null && record.getThrown().getMessage() != null
                && !s.scrub(record.getThrown().getMessage()).equals(record.getThrown().getMessage())) {
            record.setThrown(new RuntimeException(s.scrub(String.valueOf(record.getThrown()))));
        }
        return next == null || next.isLoggable(record);
    }
}
