import { Testing } from "cdktf";
// The matchers' types: cdktf declares them on Jest's Matchers in this module, which nothing else imports.
import type {} from "cdktf/lib/testing/adapters/jest";

// Registers cdktf's matchers (toHaveResourceWithProperties, ...) on Jest's expect.
Testing.setupJest();
