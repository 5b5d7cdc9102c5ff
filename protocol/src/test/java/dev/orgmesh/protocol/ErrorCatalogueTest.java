package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ErrorCatalogueTest {
    @Test
    void codesAreUniqueAndInTheirModuleBlock() {
        Set<Integer> seen = new HashSet<>();
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(seen.add(c.code())).as("duplicate code %s", c.code()).isTrue();
            assertThat(ErrorCode.byCode(c.code())).isSameAs(c);
            String block = switch (c.code() / 100) {
                case 10 -> "ORG_";
                case 11 -> "ENVELOPE_";
                case 90 -> "CONSOLE_";
                default -> null;
            };
            if (block != null) {
                assertThat(c.name()).startsWith(block);
            }
            assertThat(c.code()).isBetween(1000, 9099);
        }
    }

    @Test
    void docsListEveryCode() throws IOException {
        Path doc = Path.of("..", "docs", "errors.md");
        String text = Files.readString(doc);
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(text).as("docs/errors.md lists %s", c).contains("| " + c.code() + " | `" + c.name() + "` |");
        }
    }

    /** Every code's row is {@code | code | name | meaning | fix |}, and neither the meaning nor the fix is empty. */
    @Test
    void docsGiveEveryCodeAMeaningAndAFix() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "errors.md"));
        for (ErrorCode c : ErrorCode.values()) {
            String prefix = "| " + c.code() + " | `" + c.name() + "` |";
            String row = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
            assertThat(row).as("docs/errors.md has a row for %s", c).isNotNull();
            List<String> cells = cells(row);
            assertThat(cells).as("the row of %s has the columns code, name, meaning, fix: %s", c, row).hasSize(4);
            assertThat(cells.get(2)).as("the meaning of %s in docs/errors.md", c).isNotBlank();
            assertThat(cells.get(3)).as("the fix of %s in docs/errors.md", c).isNotBlank();
        }
    }

    @Test
    void aRowWithAnEmptyFixIsFound() {
        assertThat(cells("| 7000 | `CLI_USAGE` | wrong arguments |  |").get(3)).isBlank();
        assertThat(cells("| 6001 | `VAULT_NOT_FOUND` | missing | `printf %s v \\| orgmesh secrets put` |")).hasSize(4);
    }

    /** The cells of a Markdown table row; {@code \|} inside a cell is not a separator. */
    static List<String> cells(String row) {
        String inner = row.strip();
        inner = inner.substring(1, inner.endsWith("|") && !inner.endsWith("\\|") ? inner.length() - 1 : inner.length());
        return Arrays.stream(inner.split("(?<!\\\\)\\|", -1)).map(String::strip).toList();
    }
}
