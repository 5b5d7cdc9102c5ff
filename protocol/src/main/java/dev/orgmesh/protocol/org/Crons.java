package dev.orgmesh.protocol.org;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;

/**
 * Cron expressions in the two forms the org file accepts, parsed by cron-utils: 5 fields (Unix: minute hour
 * day-of-month month day-of-week) and 6 fields (Spring: second first).
 */
public final class Crons {
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronDefinition SIX = CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING);
    private static final CronParser SPRING = new CronParser(SIX);

    private Crons() {
    }

    /** Parses and validates; throws {@link IllegalArgumentException} saying what is wrong. */
    public static Cron parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("empty cron expression");
        }
        String[] fields = expression.trim().split("\\s+");
        try {
            Cron cron = switch (fields.length) {
                case 5 -> UNIX.parse(expression.trim());
                case 6 -> SPRING.parse(expression.trim());
                default -> throw new IllegalArgumentException("'" + expression + "' has " + fields.length
                        + " fields; write 5 (minute hour day month weekday) or 6 (second first)");
            };
            return cron.validate();
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            if (msg != null && msg.startsWith("'" + expression + "'")) {
                throw e;
            }
            throw new IllegalArgumentException("'" + expression + "' is not a valid cron expression: " + msg, e);
        }
    }
}
