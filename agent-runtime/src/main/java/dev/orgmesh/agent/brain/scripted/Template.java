package dev.orgmesh.agent.brain.scripted;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Durations;

/**
 * {@code {{field}}} substitution for rules. What a placeholder can name:
 * <ul>
 * <li>any field of the message being handled, by its wire name: {@code {{id}}}, {@code {{from}}},
 * {@code {{subject}}}, {@code {{breaking_changes}}}, {@code {{assignee}}} (an extra field) — a known envelope field
 * that is absent renders empty;</li>
 * <li>{@code {{self.id}}}, {@code {{self.name}}}, {@code {{self.role}}}, {@code {{self.team}}},
 * {@code {{self.reports_to}}}, {@code {{company}}}, {@code {{company_name}}}, {@code {{source}}};</li>
 * <li>{@code {{now}}} (an ISO instant), {@code {{now+2h}}}, {@code {{now-30m}}}, {@code {{today}}} (a date in the
 * agent's zone), {@code {{today+3d}}}.</li>
 * </ul>
 * A value that is exactly one placeholder keeps the JSON type of what it names (a list stays a list); inside other
 * text lists are joined with {@code ", "}. An unknown name is left as written, so a typo shows in the message.
 */
public final class Template {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]+?)\\s*}}");
    private static final Pattern TIME = Pattern.compile("(now|today)(?:([+-])(\\S+))?");

    private final ObjectNode message;
    private final Map<String, String> names;
    private final Instant now;
    private final ZoneId zone;

    /**
     * @param message the handled message as JSON
     * @param names the other names ({@code self.id}, {@code company}, …) and their values
     * @param now the runtime clock's instant
     * @param zone the agent's time zone, for {@code today}
     */
    public Template(ObjectNode message, Map<String, String> names, Instant now, ZoneId zone) {
        this.message = message;
        this.names = Map.copyOf(names);
        this.now = now;
        this.zone = zone;
    }

    /** Renders every text inside {@code node} (objects and lists included); other values are kept. */
    public JsonNode render(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return renderValue(node.textValue());
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(x -> {
                JsonNode r = render(x);
                if (r.isArray() && x.isTextual()) {
                    out.addAll((ArrayNode) r); // "{{artifacts}}" inside a list splices the list in
                } else {
                    out.add(r);
                }
            });
            return out;
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), render(e.getValue()));
            }
            return out;
        }
        return node;
    }

    /** Renders one text: a lone placeholder keeps its JSON value, anything else is text. */
    public JsonNode renderValue(String text) {
        Matcher whole = PLACEHOLDER.matcher(text.strip());
        if (whole.matches()) {
            JsonNode v = lookup(whole.group(1));
            return v != null ? v : TextNode.valueOf(text);
        }
        return TextNode.valueOf(renderText(text));
    }

    /** Renders {@code text} as text. */
    public String renderText(String text) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            JsonNode v = lookup(m.group(1));
            String s = v == null ? m.group() : asText(v);
            m.appendReplacement(out, Matcher.quoteReplacement(s));
        }
        m.appendTail(out);
        return out.toString();
    }

    private JsonNode lookup(String name) {
        if (names.containsKey(name)) {
            return TextNode.valueOf(names.get(name));
        }
        Matcher t = TIME.matcher(name);
        if (t.matches()) {
            try {
                return TextNode.valueOf(time(t.group(1), t.group(2), t.group(3)));
            } catch (RuntimeException badDuration) {
                return null;
            }
        }
        JsonNode v = message.get(name);
        if (v != null && !v.isNull()) {
            return v;
        }
        if (EnvelopeCodec.KNOWN_FIELDS.contains(name)) {
            return TextNode.valueOf("");
        }
        return null;
    }

    private String time(String base, String sign, String amount) {
        Duration d = amount == null ? Duration.ZERO : Durations.parse(amount);
        if (sign != null && sign.equals("-")) {
            d = d.negated();
        }
        if (base.equals("today")) {
            return LocalDate.ofInstant(now.plus(d), zone).toString();
        }
        return now.plus(d).toString();
    }

    private static String asText(JsonNode v) {
        if (v.isArray()) {
            StringBuilder b = new StringBuilder();
            v.forEach(x -> b.append(b.isEmpty() ? "" : ", ").append(x.isTextual() ? x.textValue() : x.toString()));
            return b.toString();
        }
        return v.isTextual() ? v.textValue() : v.toString();
    }
}
