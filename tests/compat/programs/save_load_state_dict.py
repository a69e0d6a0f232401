"""Save and load model weights, as in PyTorch's "Save and Load the Model" tutorial: state_dict
keys and sizes, torch.save(model.state_dict()), load_state_dict(torch.load(..., weights_only=True))."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 8)
        self.fc2 = nn.Linear(8, 6)
        self.fc3 = nn.Linear(6, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name][0]["params"] if var_name == "param_groups" else {})
print(optimizer.state_dict()["param_groups"][0]["lr"], optimizer.state_dict()["param_groups"][0]["momentum"])

torch.save(model.state_dict(), "model_weights.pth")
model2 = TheModelClass()
print(model2.load_state_dict(torch.load("model_weights.pth", weights_only=True)))
model2.eval()
x = torch.linspace(-2, 2, 24).reshape(2, 12)
with torch.no_grad():
    print(torch.equal(model(x), model2(x)))
print(model2)
