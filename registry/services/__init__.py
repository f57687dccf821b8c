"""Services: every business action is one function here, one transaction, checking the actor's
permission and the domain's invariants. Views, forms, admin, imports and APIs call these;
they never write registry rows themselves."""
