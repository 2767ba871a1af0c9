package dev.tower.cli;

import dev.tower.agent.isolation.IsolationSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

class AgentCommandTest {
    private static AgentCommand parse(String... args) {
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    @Test
    void processTasksAreNotIsolatedUnlessAskedFor() {
        assertThat(parse("--master", "127.0.0.1:5050").isolation()).isEqualTo(IsolationSettings.DEFAULTS);
        assertThat(parse("--master", "127.0.0.1:5050", "--no-isolation").isolation().enabled()).isFalse();
    }

    @Test
    void isolationCanBeTurnedOnAndThePidsLimitSet() {
        assertThat(parse("--master", "127.0.0.1:5050", "--isolation").isolation()).isEqualTo(IsolationSettings.ON);
        assertThat(parse("--master", "127.0.0.1:5050", "--isolation", "--task-pids-max", "100").isolation())
                .isEqualTo(new IsolationSettings(true, 100));
    }
}
