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

    @Test
    void aRootAgentRunsTasksAsNobodyByDefaultWhenThatUserExists() {
        assertThat(AgentCommand.taskUser(null, 0, "nobody"::equals)).isEqualTo("nobody");
    }

    @Test
    void aRootAgentWithoutNobodyAndANonRootAgentRunTasksAsThemselvesByDefault() {
        assertThat(AgentCommand.taskUser(null, 0, name -> false)).as("root agent, no user nobody").isNull();
        assertThat(AgentCommand.taskUser(null, 1000, "nobody"::equals)).as("agent of uid 1000").isNull();
    }

    @Test
    void theTaskUserFlagWinsRootIncluded() {
        assertThat(AgentCommand.taskUser("root", 0, "nobody"::equals)).isEqualTo("root");
        assertThat(AgentCommand.taskUser("tower", 0, "nobody"::equals)).isEqualTo("tower");
        assertThat(parse("--master", "127.0.0.1:5050", "--task-user", "root").taskUser).isEqualTo("root");
        assertThat(parse("--master", "127.0.0.1:5050").taskUser).isNull();
    }

    @Test
    void theHelpSaysWhichUserTasksRunAs() {
        String help = new CommandLine(new AgentCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertThat(help).contains("--task-user=USER").contains("'nobody' when the agent runs as root");
    }
}
