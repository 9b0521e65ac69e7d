package acctest

import "github.com/kratix-community/terraform-provider-kratix/internal/storeserver"

// Stores are the Git and S3 servers beside the platform (package
// storeserver): state stores in tests point at them, with their
// credentials, and tests read what Kratix wrote there. The emulator never
// contacts them; the real Kratix validates a store and a Destination by
// writing to them.
func (e *Env) Stores() *storeserver.Servers { return e.stores }
