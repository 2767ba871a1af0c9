package dev.tower.cli;

import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Credential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The security flags of every command that calls a master, and what child processes get of them. */
class MasterOptionTest {
    @TempDir
    Path dir;

    @CommandLine.Command(name = "t")
    static final class Holder {
        @CommandLine.Mixin
        MasterOption master = new MasterOption();
    }

    private MasterOption parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.master;
    }

    @Test
    void flagsBecomeTheCredentialAndTheVariablesOfChildProcesses() throws Exception {
        Path secret = Files.writeString(dir.resolve("admin.secret"), "s3cret\n");
        MasterOption m = parse("--principal", "admin", "--secret-file", secret.toString());

        assertThat(m.security(Map.of("TOWER_SECRET", "from-env")).credential())
                .isEqualTo(Credential.basic("admin", "s3cret"));
        assertThat(m.environment()).containsEntry("TOWER_PRINCIPAL", "admin")
                .containsEntry("TOWER_SECRET_FILE", secret.toAbsolutePath().toString())
                .doesNotContainKey("TOWER_CA_CERT");
    }

    @Test
    void withoutFlagsTheEnvironmentDecidesAndChildrenInheritIt() {
        MasterOption m = parse();
        assertThat(m.security(Map.of())).isEqualTo(ClientSecurity.NONE);
        assertThat(m.security(Map.of("TOWER_TOKEN", "t")).credential()).isEqualTo(Credential.bearer("t"));
        assertThat(m.environment()).isEmpty();
    }
}
