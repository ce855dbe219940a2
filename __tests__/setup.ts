import { Testing } from "cdktf";

// Registers cdktf's matchers (toHaveResourceWithProperties, ...) on Jest's expect.
Testing.setupJest();
