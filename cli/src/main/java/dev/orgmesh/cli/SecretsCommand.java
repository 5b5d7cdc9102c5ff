package dev.orgmesh.cli;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretPath;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh secrets put|ls|rm}: manages the vault-bridge's embedded encrypted store. The master key comes only
 * from {@code ORGMESH_VAULT_MASTER_KEY}; a value comes only from standard input (or a no-echo prompt on a terminal),
 * never from the command line, where it would land in shell history and {@code ps}. {@code ls} shows names and
 * versions, never values. A running bridge notices a new version and publishes {@code secret.rotated} itself.
 */
@Command(name = "secrets", description = "Manage the vault-bridge's embedded encrypted secret store.", subcommands = {
        SecretsCommand.Put.class, SecretsCommand.Ls.class, SecretsCommand.Rm.class})
final class SecretsCommand implements Callable<Integer> {
    /** Largest value {@code put} reads, in bytes. */
    static final int MAX_VALUE_BYTES = 1024 * 1024;

    /** Where values are read from; tests replace it. */
    static Supplier<InputStream> stdin = () -> System.in;
    /** The environment the master key is read from; tests replace it. */
    static Supplier<Map<String, String>> env = System::getenv;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** The store option every subcommand shares. */
    static final class StoreOptions {
        @Option(names = "--store", paramLabel = "FILE", defaultValue = "${ORGMESH_VAULT_STORE:-orgmesh-vault.store}", description = "The store file (default: $ORGMESH_VAULT_STORE or ${DEFAULT-VALUE}); the bridge's orgmesh.vault.store-path.")
        Path store;

        EmbeddedStore open() {
            return new EmbeddedStore(store, MasterKey.fromEnvironment(env.get()));
        }
    }

    /** {@code orgmesh secrets put PATH < value}. */
    @Command(name = "put", description = {"Store a new version of a secret, read from standard input.",
            "PATH is company/NAME (shared; readable by every agent whose org entry lists NAME) or "
                    + "agents/<agent-id>/NAME (that agent's own value, used before the company's).",
            "Example: printf %%s \"$TOKEN\" | orgmesh secrets put company/GITHUB_TOKEN"})
    static final class Put implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions options;

        @Parameters(paramLabel = "PATH", description = "company/NAME or agents/<agent-id>/NAME")
        String path;

        @Option(names = "--keep-newline", description = "Keep a trailing newline (by default one trailing \\n or \\r\\n is dropped, as echo adds it).")
        boolean keepNewline;

        @Override
        public Integer call() throws IOException {
            SecretPath p = SecretPath.parse(path);
            byte[] value = read(p);
            try {
                int version = options.open().put(p, value);
                spec.commandLine().getOut().printf(
                        "stored %s version %d (%d bytes) in %s; a running bridge announces secret.rotated%n", p,
                        version, value.length, options.store);
                spec.commandLine().getOut().flush();
                return 0;
            } finally {
                Arrays.fill(value, (byte) 0);
            }
        }

        private byte[] read(SecretPath p) throws IOException {
            Console console = System.console();
            byte[] value;
            if (console != null && console.isTerminal() && stdin.get() == System.in) {
                char[] chars = console.readPassword("value for %s (not echoed): ", p);
                if (chars == null) {
                    chars = new char[0];
                }
                var buf = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
                value = new byte[buf.remaining()];
                buf.get(value);
                Arrays.fill(chars, '\0');
            } else {
                value = readAll(stdin.get());
            }
            if (!keepNewline) {
                value = dropNewline(value);
            }
            if (value.length == 0) {
                throw new OrgmeshException(ErrorCode.CLI_USAGE,
                        "no value on standard input for " + p + " (pipe it in: ... | orgmesh secrets put " + p + ")");
            }
            return value;
        }

        static byte[] readAll(InputStream in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (out.size() + n > MAX_VALUE_BYTES) {
                    throw new OrgmeshException(ErrorCode.CLI_USAGE,
                            "the value on standard input is larger than " + MAX_VALUE_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
            Arrays.fill(buf, (byte) 0);
            return out.toByteArray();
        }

        static byte[] dropNewline(byte[] v) {
            int n = v.length;
            if (n > 0 && v[n - 1] == '\n') {
                n--;
                if (n > 0 && v[n - 1] == '\r') {
                    n--;
                }
            }
            if (n == v.length) {
                return v;
            }
            byte[] out = Arrays.copyOf(v, n);
            Arrays.fill(v, (byte) 0);
            return out;
        }
    }

    /** {@code orgmesh secrets ls}. */
    @Command(name = "ls", description = "List stored secrets: path, latest version, when it was stored. Never values.")
    static final class Ls implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions options;

        @Override
        public Integer call() {
            List<EmbeddedStore.Listing> all = options.open().list();
            var out = spec.commandLine().getOut();
            String fmt = "%-48s %-8s %-8s %s%n";
            out.printf(fmt, "PATH", "VERSION", "KEPT", "UPDATED");
            for (EmbeddedStore.Listing l : all) {
                out.printf(fmt, l.path(), l.version(), l.versionsKept(), l.updated());
            }
            out.printf("%d secret%s in %s%n", all.size(), all.size() == 1 ? "" : "s", options.store);
            out.flush();
            return 0;
        }
    }

    /** {@code orgmesh secrets rm PATH}. */
    @Command(name = "rm", description = "Remove a secret and all its versions.")
    static final class Rm implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        StoreOptions options;

        @Parameters(paramLabel = "PATH", description = "company/NAME or agents/<agent-id>/NAME")
        String path;

        @Override
        public Integer call() {
            SecretPath p = SecretPath.parse(path);
            if (!options.open().remove(p)) {
                throw new OrgmeshException(ErrorCode.VAULT_NOT_FOUND, "no secret " + p + " in " + options.store);
            }
            spec.commandLine().getOut().printf("removed %s from %s%n", p, options.store);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
